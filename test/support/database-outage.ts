import pg from 'pg';

/**
 * A database outage as PostgreSQL produces it, done from a connection of the test's own to the
 * server's `postgres` database: the service's connections killed (`pg_terminate_backend`, as a
 * restart or a failover does) and new ones refused until allowed again.
 */
export async function onServer<T>(databaseUrl: string, work: (client: pg.Client, database: string) => Promise<T>): Promise<T> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client, database);
  } finally {
    await client.end();
  }
}

/** Kills every connection to the service's database but the caller's own; returns how many there were. */
export async function terminateConnections(databaseUrl: string): Promise<number> {
  return onServer(databaseUrl, async (client, database) => {
    const res = await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database]);
    return res.rowCount ?? 0;
  });
}

/** Refuses new connections to the service's database and kills the open ones; `allow` undoes it. */
export async function refuseConnections(databaseUrl: string): Promise<{ allow(): Promise<void> }> {
  await onServer(databaseUrl, (client, database) => client.query(`alter database "${database.replace(/"/g, '""')}" allow_connections false`));
  await terminateConnections(databaseUrl);
  return { allow: () => onServer(databaseUrl, (client, database) => client.query(`alter database "${database.replace(/"/g, '""')}" allow_connections true`)).then(() => undefined) };
}
