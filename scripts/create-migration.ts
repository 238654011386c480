/**
 * Writes a migration for the difference between the entities and the schema that the existing
 * migrations build: `npm run migration:create -- name`. Runs against a throw-away in-memory PGlite,
 * so it needs no server. Add the new class to migrations/index.ts afterwards.
 */
import { MikroORM } from '@mikro-orm/core';
import { parseCliArgs, runCli, UsageError } from '../src/cli/cli-kit.js';
import { ormOptions } from '../src/infra/database/orm-options.js';
import { DATABASE_SCHEMA } from '../src/database-schema.js';

async function main(argv: string[]): Promise<number> {
  const { positionals } = parseCliArgs({ args: argv, options: {}, allowPositionals: true, strict: true });
  if (positionals.length > 1) throw new UsageError('one name at most: npm run migration:create -- name');
  const orm = await MikroORM.init(ormOptions({ DATABASE_URL: '', DATA_DIR: '', DATABASE_POOL_MAX: 1 }, DATABASE_SCHEMA));
  try {
    await orm.migrator.up();
    const result = await orm.migrator.create(undefined, false, false, positionals[0]);
    console.log(result.fileName ? `wrote migrations/${result.fileName}; add it to migrations/index.ts` : 'no changes: the migrations match the entities');
    return 0;
  } finally {
    await orm.close(true);
  }
}

runCli(main);
