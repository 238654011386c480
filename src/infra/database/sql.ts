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
