import { createScratchDatabase, type ScratchDatabase } from '../../scripts/support/scratch-database.js';

/**
 * Tests run against real PostgreSQL when DATABASE_URL is set (CI does both), otherwise against
 * in-memory PGlite. On PostgreSQL every test app gets a database of its own, dropped afterwards,
 * so test files can run in parallel without seeing each other's rows.
 */
export type TestDatabase = ScratchDatabase;

export const usingPostgres = () => Boolean(process.env.DATABASE_URL);

export async function createTestDatabase(): Promise<TestDatabase | undefined> {
  const base = process.env.DATABASE_URL;
  return base ? createScratchDatabase(base, 'billing_test') : undefined;
}
