import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { CompiledQuery } from 'kysely';
import { onReadConnection, type ReadTarget } from './read-replicas.js';

/** The entity manager as MikroORM's SQL one, for `execute` and the query builder. */
export const sql = (em: EntityManager): SqlEntityManager => em as SqlEntityManager;

/**
 * Runs SQL with `?` placeholders as a parameterised statement (sent as `$1, $2…` with the values
 * apart), in the entity manager's transaction when it has one. MikroORM's `execute` inlines the
 * values into the SQL text instead, which is fine for small statements but costly for the mirror's
 * batch upserts (hundreds of kilobytes of JSON escaped and parsed again). Placeholders must not
 * appear inside string literals (none of our statements put them there). Errors are converted to
 * MikroORM's exceptions (DeadlockException, UniqueConstraintViolationException…) as `execute` does.
 * A read may name a `target` (see read-replicas.ts); writes always go to the primary.
 */
export async function exec<T = Record<string, unknown>>(em: EntityManager, text: string, params: readonly unknown[] = [], target: ReadTarget = 'primary'): Promise<T[]> {
  let n = 0;
  const numbered = text.replace(/\?/g, () => `$${++n}`);
  return onReadConnection(em, target, async (type) => {
    try {
      const result = await (em as SqlEntityManager).getKysely({ type }).executeQuery<T>(CompiledQuery.raw(numbered, params as unknown[]));
      return result.rows;
    } catch (error) {
      throw error instanceof Error ? em.getDriver().convertException(error) : error;
    }
  });
}

/** The SQL type of a column sent by `unnestRows`: `jsonb` values are given as JSON text. */
export type ArrayColumnType = 'text' | 'boolean' | 'int' | 'bigint' | 'timestamptz' | 'jsonb';

/**
 * Rows sent as one array parameter per column, for `select … from ${sql}` (`v` is the rows' alias,
 * with the columns' names): the statement has as many parameters and the same text whatever the
 * number of rows. A multi-row `values (?, ?, …), …` list of a page of 300 subscriptions was 7,000
 * parameters, each parsed, coerced and planned by PostgreSQL and bound one by one by the driver
 * (measured: a 300-subscription upsert alone took 37 µs a row instead of 60; a full reconcile of
 * 100,000 subscriptions spent 98–105 µs of PostgreSQL CPU a row instead of 107–109).
 * Timestamps go as ISO text (not the driver's slower local-time formatting of each Date); `jsonb`
 * columns go as one JSON array, the rows' JSON texts joined as they are (never escaped again as
 * elements of a text array would be), split back in order by PostgreSQL.
 */
export function unnestRows<R>(rows: readonly R[], columns: readonly (readonly [name: string, type: ArrayColumnType, value: (row: R) => unknown])[]): { sql: string; params: unknown[] } {
  const params = columns.map(([, type, value]) => {
    if (type === 'jsonb') return `[${rows.map((r) => value(r) as string).join(',')}]`;
    if (type === 'timestamptz') {
      return rows.map((r) => {
        const v = value(r);
        return v instanceof Date ? v.toISOString() : (v ?? null);
      });
    }
    return rows.map(value);
  });
  const arrays = columns.map(([, type]) =>
    type === 'jsonb' ? `(select coalesce(array_agg(e order by n), '{}') from jsonb_array_elements(?::jsonb) with ordinality as t(e, n))` : `?::${type}[]`,
  );
  return { sql: `unnest(${arrays.join(', ')}) as v(${columns.map(([name]) => name).join(', ')})`, params };
}
