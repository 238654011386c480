import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A throw-away PostgreSQL database next to the one `baseUrl` names, for the tests and the
 * benchmarks: each test app or benchmark gets a fresh one, so that they can run side by side without
 * seeing each other's rows. `drop` removes it, closing what is still connected to it. Lives here,
 * not under test/, because the build (which does not compile test/) needs it for bench/.
 */
export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** `prefix` tells whose leftovers a database is (billing_test_..., billing_bench_...) should a run die before dropping it. */
export async function createScratchDatabase(baseUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await onMaintenanceDatabase(baseUrl, (client) => client.query(`create database "${name}"`));
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => onMaintenanceDatabase(baseUrl, (client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

/** Databases are created and dropped from the server's `postgres` database, whatever database `baseUrl` names. */
async function onMaintenanceDatabase<T>(baseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(baseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
