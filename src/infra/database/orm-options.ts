import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { MigrationObject, Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PgliteDriver } from '@mikro-orm/pglite';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { AppConfig } from '../config/config.js';

export type DatabaseKind = 'postgresql' | 'pglite';

/** The application's entities and migrations (src/database-schema.ts), handed down to the ORM. */
export interface DatabaseSchema {
  entities: NonNullable<Options['entities']>;
  migrations: MigrationObject[];
}

export function databaseKind(config: Pick<AppConfig, 'DATABASE_URL'>): DatabaseKind {
  return config.DATABASE_URL ? 'postgresql' : 'pglite';
}

/**
 * One set of entities and one set of migrations for both databases: real PostgreSQL when
 * DATABASE_URL is set, otherwise PGlite in-process (in memory, or persisted to DATA_DIR).
 */
export function ormOptions(
  config: Pick<AppConfig, 'DATABASE_URL' | 'DATA_DIR' | 'DATABASE_POOL_MAX'> & Partial<Pick<AppConfig, 'DATABASE_REPLICA_URLS'>>,
  schema: DatabaseSchema,
): Partial<Options> {
  const common: Partial<Options> = {
    entities: schema.entities,
    extensions: [Migrator],
    migrations: {
      migrationsList: schema.migrations,
      path: resolve('migrations'),
      pathTs: resolve('migrations'),
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      snapshotOnMigrate: false,
    },
    // The schema is owned by the migrations; never let the ORM change it behind their back.
    ensureDatabase: false,
    allowGlobalContext: false,
    debug: false,
  };
  if (config.DATABASE_URL) {
    const pool = { min: 0, max: config.DATABASE_POOL_MAX };
    return {
      ...common,
      driver: PostgreSqlDriver,
      clientUrl: config.DATABASE_URL,
      pool,
      // Replicas serve only the reads that ask for them (read-replicas.ts): MikroORM would otherwise
      // send every find outside a transaction there, including reads right after a write.
      replicas: (config.DATABASE_REPLICA_URLS ?? []).map((clientUrl, i) => ({ name: `replica-${i + 1}`, clientUrl, pool })),
      preferReadReplicas: false,
    };
  }
  if (config.DATA_DIR) mkdirSync(config.DATA_DIR, { recursive: true });
  return { ...common, driver: PgliteDriver, dbName: config.DATA_DIR ? resolve(config.DATA_DIR) : 'memory://' };
}
