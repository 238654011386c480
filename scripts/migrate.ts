/**
 * `npm run migrate`: applies pending migrations to the configured database (the service also does
 * this at start-up). `npm run migrate -- --check` only reports whether any are pending (exit 1 if so).
 */
import { MikroORM } from '@mikro-orm/core';
import { parseCliArgs, runCli } from '../src/cli/cli-kit.js';
import { loadConfig } from '../src/infra/config/config.js';
import { databaseKind, ormOptions } from '../src/infra/database/orm-options.js';
import { DATABASE_SCHEMA } from '../src/database-schema.js';
import { applyMigrations } from '../src/infra/database/migrations.js';

async function main(argv: string[]): Promise<number> {
  // Strict: a mistyped --check must not apply the migrations instead of reporting them.
  const { values } = parseCliArgs({ args: argv, options: { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    process.stdout.write('npm run migrate -- [--check]\n');
    return 0;
  }
  const config = loadConfig();
  const orm = await MikroORM.init({ ...ormOptions(config, DATABASE_SCHEMA), logger: () => undefined });
  try {
    const pending = await orm.migrator.getPending();
    if (values.check) {
      console.log(pending.length ? `pending: ${pending.map((m) => m.name).join(', ')}` : 'up to date');
      return pending.length ? 1 : 0;
    }
    if (databaseKind(config) === 'pglite' && !config.DATA_DIR) {
      console.error('warning: no DATABASE_URL or DATA_DIR: migrating a throw-away in-memory database');
    }
    // Under the same lock as a start-up's migrations, so that it can run while instances start.
    const applied = await applyMigrations(orm, config.DATABASE_URL);
    console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'up to date');
    return 0;
  } finally {
    await orm.close(true);
  }
}

runCli(main, { usageHint: 'see --help', exitWhenDone: true });
