import { MikroORM } from '@mikro-orm/core';
import { PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { Metrics } from './metrics.service.js';

/**
 * The database pool's gauges, read at scrape time. On PostgreSQL, from the `pg` pool under
 * MikroORM: connections in use (total − idle), idle, and queries waiting for one. PGlite runs one
 * in-process connection whose queries the driver queues without counting them: only its size (1)
 * is reported.
 */
export function collectDatabasePool(metrics: Metrics, orm: MikroORM, poolMax: number): () => Promise<void> {
  return async () => {
    const connection = orm.em.getConnection();
    if (!(connection instanceof PostgreSqlConnection)) {
      metrics.setPool('primary', { max: 1 });
      return;
    }
    const pool = await connection.getNativeClient();
    metrics.setPool('primary', { max: poolMax, inUse: pool.totalCount - pool.idleCount, idle: pool.idleCount, waiting: pool.waitingCount });
  };
}
