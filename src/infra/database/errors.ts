import { DeadlockException, LockWaitTimeoutException } from '@mikro-orm/core';

/** The SQLSTATE of a PostgreSQL error, as MikroORM's exceptions and node-postgres carry it. */
function sqlStateOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; sqlState?: unknown } | null;
  const code = typeof e?.sqlState === 'string' ? e.sqlState : e?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** PostgreSQL gave up on this transaction because of others (40P01 deadlock, 40001 serialization, 55P03 lock timeout): running it again may succeed. */
export function isTransientConflict(error: unknown): boolean {
  if (error instanceof DeadlockException || error instanceof LockWaitTimeoutException) return true;
  const code = sqlStateOf(error);
  return code === '40001' || code === '40P01' || code === '55P03';
}

/**
 * PostgreSQL refused the data itself: class 22 (a value too long, out of range, of the wrong
 * syntax), 23 except unique violations (a not-null or check constraint), 42 (a statement built
 * from a value of the wrong type). The same data fails the same way every time, so retrying is
 * pointless; a unique violation (23505) can be a race with another writer and is not counted here.
 */
export function isPermanentDataError(error: unknown): boolean {
  const code = sqlStateOf(error);
  if (!code) return false;
  return code.startsWith('22') || code.startsWith('42') || (code.startsWith('23') && code !== '23505');
}
