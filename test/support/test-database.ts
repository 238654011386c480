import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Tests run against real PostgreSQL when DATABASE_URL is set (CI does both), otherwise against
 * in-memory PGlite. On PostgreSQL every test app gets a database of its own, dropped afterwards,
 * so test files can run in parallel without seeing each other's rows.
 */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export const usingPostgres = () => Boolean(process.env.DATABASE_URL);

export async function createTestDatabase(): Promise<TestDatabase | undefined> {
  const base = process.env.DATABASE_URL;
  if (!base) return undefined;
  const name = `billing_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin(base, (client) => client.query(`create database "${name}"`));
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(base, (client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

async function admin<T>(base: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(base);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
