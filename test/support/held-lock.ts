import pg from 'pg';

/** Waits until `condition` holds, looking again every few milliseconds (bounded by the test's own timeout). */
export async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A transaction of the test's own on PostgreSQL, holding what its statements locked. */
export interface HeldLock {
  /** How many statements whose text is like `pattern` (SQL LIKE) wait for a lock. */
  blocked(pattern: string): Promise<number>;
  /** Ends the transaction (rolled back): whatever waited for its locks goes on. */
  release(): Promise<void>;
}

/**
 * Runs `run` while a transaction on `databaseUrl` holds the locks its `statements` take: the
 * service's statements that need them wait, so that a test can make requests arrive while one is
 * on its way, which is what the shared statements are about (SharedStatements), and then let go.
 */
export async function holdingLock<T>(databaseUrl: string, statements: [text: string, params?: unknown[]][], run: (held: HeldLock) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let open = true;
  try {
    await client.query('begin');
    for (const [text, params] of statements) await client.query(text, params);
    return await run({
      async blocked(pattern) {
        // Activity is read afresh each time: inside a transaction PostgreSQL keeps its first snapshot.
        await client.query('select pg_stat_clear_snapshot()');
        return (await client.query(`select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like $1 and pid <> pg_backend_pid()`, [pattern])).rowCount ?? 0;
      },
      async release() {
        if (!open) return;
        open = false;
        await client.query('rollback');
      },
    });
  } finally {
    if (open) await client.query('rollback').catch(() => undefined);
    await client.end();
  }
}
