import type { EntityManager } from '@mikro-orm/core';
import { PostgreSqlConnection } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { onReadConnection, type ReadTarget } from './read-replicas.js';
import { exec } from './sql.js';

/**
 * A statement of a hot read path, prepared once per PostgreSQL connection and then only bound and
 * executed. Planning is most of what PostgreSQL spends on the lookup and features queries (pgbench
 * on the lookup: ~7,600/s sent as text, ~26,000/s prepared, on 2 cores), so these paths send their
 * statement by name through the driver's pool instead of as text through the query builder.
 *
 * The text has `?` placeholders like `exec`, and must be the same whatever the parameters (a list
 * is passed as one array parameter), so that each connection holds one plan per statement. Behind
 * PgBouncer in transaction mode this needs PgBouncer ≥ 1.21 with `max_prepared_statements` set.
 */
export class PreparedStatement {
  readonly numbered: string;

  constructor(
    readonly name: string,
    readonly text: string,
  ) {
    let n = 0;
    this.numbered = text.replace(/\?/g, () => `$${++n}`);
  }
}

/**
 * Runs a prepared statement on PostgreSQL, on the primary or a read replica (`target`, see
 * read-replicas.ts). Inside a transaction, or on the embedded PGlite (one connection, no pool), it
 * runs as an ordinary parameterised statement through `exec`. Errors are converted to MikroORM's
 * exceptions in both cases.
 */
export function execPrepared<T = Record<string, unknown>>(
  em: EntityManager,
  statement: PreparedStatement,
  params: readonly unknown[],
  target: ReadTarget = 'primary',
): Promise<T[]> {
  if (!(em.getConnection() instanceof PostgreSqlConnection) || em.isInTransaction()) return exec<T>(em, statement.text, params);
  // A chain of promises rather than async functions: these run on every lookup, features answer and
  // webhook delivery, and each async layer is a promise and a turn of the microtask queue more.
  return onReadConnection(em, target, (type) =>
    (em.getConnection(type) as PostgreSqlConnection)
      .getNativeClient()
      .then((pool) => pool.query<T & pg.QueryResultRow>({ name: statement.name, text: statement.numbered, values: params as unknown[] }))
      .then(
        (result) => result.rows,
        (error: unknown) => {
          throw error instanceof Error ? em.getDriver().convertException(error) : error;
        },
      ),
  );
}
