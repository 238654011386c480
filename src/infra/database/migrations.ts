import type { MikroORM } from '@mikro-orm/core';
import pg from 'pg';

/**
 * The key of the session-level advisory lock held while migrations run (a single bigint key, apart
 * from the two-integer keys of the reconciler and the hashed keys of the object locks).
 */
const MIGRATION_LOCK_KEY = '7241020001';

/**
 * Applies pending migrations; returns those applied. On PostgreSQL, under an advisory lock held on a connection of its own
 * for the whole run: instances rolled out together each wait for the one migrating, then find
 * nothing pending (without it, two of three starting together failed creating the same tables).
 * MikroORM's migrator takes no lock itself. PGlite is one process and needs none.
 */
export async function applyMigrations(orm: MikroORM, databaseUrl: string): Promise<{ name: string }[]> {
  if (!databaseUrl) return orm.migrator.up();
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'billing-migrations' });
  // A lost connection also fails the statement in flight, which is what reports it; unheard, the
  // client's 'error' event would end the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    return await orm.migrator.up();
  } finally {
    // Closing the session releases the lock too; unlocking first frees the others at once.
    await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
