import type { EntityManager } from '@mikro-orm/core';
import { isTransientConflict } from './errors.js';
import { exec } from './sql.js';

/**
 * Transaction-scoped PostgreSQL advisory locks on named objects, held until the transaction ends.
 * They serialize the writers of one object across workers, requests and instances with no other
 * coordination service, before any row is touched, so that two writers meet at this lock rather
 * than halfway through each other's rows (which is how deadlocks and write skews happen).
 *
 * Keys are hashed to 64 bits (`hashtextextended`); the two-integer key space that
 * `pg_advisory_lock(int, int)` uses (the reconciler's per-account lock) is separate.
 */

/**
 * Waits for the locks of every key, taken in one statement in the order of their hashes, so that
 * any two transactions locking overlapping sets take the common locks in the same order and cannot
 * wait for each other in a circle. Locks already held by this transaction are taken again at once.
 */
export async function lockObjects(em: EntityManager, keys: readonly string[]): Promise<void> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return;
  await exec(
    em,
    `select pg_advisory_xact_lock(h) from (select distinct hashtextextended(k, 0) as h from unnest(?::text[]) as k order by h) as ordered`,
    [unique],
  );
}

/** Takes the lock of `key` if nobody else holds it; never waits. */
export async function tryLockObject(em: EntityManager, key: string): Promise<boolean> {
  const [row] = await exec<{ locked: boolean }>(em, 'select pg_try_advisory_xact_lock(hashtextextended(?, 0)) as locked', [key]);
  return row!.locked;
}

/** Takes the lock of each key that nobody else holds, in one statement; never waits. Returns the keys now held. */
export async function tryLockObjectsEach(em: EntityManager, keys: readonly string[]): Promise<Set<string>> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return new Set();
  const rows = await exec<{ k: string; locked: boolean }>(em, 'select k, pg_try_advisory_xact_lock(hashtextextended(k, 0)) as locked from unnest(?::text[]) as k', [unique]);
  return new Set(rows.filter((r) => r.locked).map((r) => r.k));
}

/**
 * Runs a transaction, again (up to `attempts` times, after a short random pause) when PostgreSQL
 * aborted it for a conflict with another transaction. Writers take their locks in one order (see
 * `lockObjects`), so this is the last line, not the mechanism; the work must be safe to repeat
 * (the mirror's writes are upserts under a version guard).
 */
export async function transactionalWithRetry<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await em.fork().transactional(work);
    } catch (error) {
      if (attempt >= attempts || !isTransientConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40 * attempt));
    }
  }
}
