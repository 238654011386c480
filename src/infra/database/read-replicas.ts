import type { EntityManager } from '@mikro-orm/core';
import { Logger } from '@nestjs/common';
import { isDatabaseConnectionError } from '../errors/database-errors.js';

/**
 * Where a read goes. `replica`: one of DATABASE_REPLICA_URLS when any is set (MikroORM picks one
 * at random per statement), else the primary. `primary`: always the primary — for reads that must
 * see a write just made (see ReadYourWrites) and for everything inside a transaction.
 */
export type ReadTarget = 'replica' | 'primary';

/**
 * A replica that cannot be reached is left alone for this long: its reads go to the primary, so
 * a replica outage costs one failed statement per window instead of one per request.
 */
const REPLICA_DOWN_MS = 10_000;
const downUntil = new WeakMap<object, number>();
const logger = new Logger('ReadReplicas');

/**
 * Runs `read` on the connection `target` names. Only statements outside a transaction can go to a
 * replica (a transaction is pinned to the primary). A replica whose connection fails is not an
 * error for the caller: the read is run again on the primary and the replicas rest for a while;
 * a statement error (bad SQL, a constraint) is the caller's and is thrown as is.
 */
export function onReadConnection<T>(em: EntityManager, target: ReadTarget, read: (type: 'read' | 'write') => Promise<T>): Promise<T> {
  const driver = em.getDriver();
  // Not an async function: the hot reads that go to the primary get no promise of their own here.
  if (target === 'primary' || em.isInTransaction() || !usesReplicas(em) || (downUntil.get(driver) ?? 0) > Date.now()) return read('write');
  return readFromReplica(driver, read);
}

async function readFromReplica<T>(driver: object, read: (type: 'read' | 'write') => Promise<T>): Promise<T> {
  try {
    return await read('read');
  } catch (error) {
    if (!isDatabaseConnectionError(error)) throw error;
    downUntil.set(driver, Date.now() + REPLICA_DOWN_MS);
    // The message only: a connection error can carry the replica's URL, which holds a password.
    logger.warn(`A read replica could not be reached; reads go to the primary for ${REPLICA_DOWN_MS / 1000} s`);
    return read('write');
  }
}

function usesReplicas(em: EntityManager): boolean {
  return (em.config.get('replicas')?.length ?? 0) > 0;
}
