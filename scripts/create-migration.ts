/**
 * Writes a migration for the difference between the entities and the schema that the existing
 * migrations build: `npm run migration:create -- name`. Runs against a throw-away in-memory PGlite,
 * so it needs no server. Add the new class to migrations/index.ts afterwards.
 */
import { MikroORM } from '@mikro-orm/core';
import { ormOptions } from '../src/infra/database/orm-options.js';
import { DATABASE_SCHEMA } from '../src/database-schema.js';

const name = process.argv[2];
const orm = await MikroORM.init(ormOptions({ DATABASE_URL: '', DATA_DIR: '', DATABASE_POOL_MAX: 1 }, DATABASE_SCHEMA));
try {
  await orm.migrator.up();
  const result = await orm.migrator.create(undefined, false, false, name);
  console.log(result.fileName ? `wrote migrations/${result.fileName}; add it to migrations/index.ts` : 'no changes: the migrations match the entities');
} finally {
  await orm.close(true);
}
