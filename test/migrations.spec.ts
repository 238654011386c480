import { MikroORM } from '@mikro-orm/core';
import { ormOptions } from '../src/infra/database/orm-options.js';
import { MIGRATIONS } from '../migrations/index.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from './support/test-database.js';
import { DATABASE_SCHEMA } from '../src/database-schema.js';

describe(`migrations on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let database: TestDatabase | undefined;
  let orm: MikroORM;

  beforeAll(async () => {
    database = await createTestDatabase();
    orm = await MikroORM.init({ ...ormOptions({ DATABASE_URL: database?.url ?? '', DATA_DIR: '', DATABASE_POOL_MAX: 2 }, DATABASE_SCHEMA), logger: () => undefined });
  });
  afterAll(async () => {
    await orm.close(true);
    await database?.drop();
  });

  it('applies every migration to an empty database', async () => {
    const applied = await orm.migrator.up();
    expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await orm.migrator.getPending()).toEqual([]);
  });

  it('builds exactly the schema the entities expect (an entity changed without a migration fails here)', async () => {
    const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
  });

  it('has the unique keys the inbox and the identity links rely on', async () => {
    const constraints = await orm.em.getConnection().execute<{ conname: string }[]>(
      `select conname from pg_constraint where contype in ('u', 'p') and conrelid::regclass::text in ('webhook_events', 'identities', 'trials')`,
    );
    expect(constraints.map((c: { conname: string }) => c.conname)).toEqual(
      expect.arrayContaining(['webhook_events_pkey', 'identities_account_stripe_account_unique', 'identities_customer_unique', 'trials_account_application_unique']),
    );
  });

  it('stores Stripe objects lz4-compressed where the server has lz4, and with the default otherwise', async () => {
    const conn = orm.em.getConnection();
    const [lz4] = await conn.execute<{ available: boolean }[]>(`select 'lz4' = any(enumvals) as available from pg_settings where name = 'default_toast_compression'`);
    const columns = await conn.execute<{ attname: string; method: string }[]>(
      `select attname, attcompression::text as method from pg_attribute
       where (attrelid, attname) in (('subscriptions'::regclass, 'raw'), ('webhook_events'::regclass, 'payload')) order by attname`,
    );
    expect(columns.map((c: { attname: string; method: string }) => [c.attname, c.method])).toEqual([
      ['payload', lz4!.available ? 'l' : ''],
      ['raw', lz4!.available ? 'l' : ''],
    ]);
  });

  it('can be rolled back to empty and applied again', async () => {
    await orm.migrator.down({ to: 0 });
    const tables = await orm.em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name = 'subscriptions'`);
    expect(tables[0]!.n).toBe(0);
    await orm.migrator.up();
    expect(await orm.migrator.getPending()).toEqual([]);
  });
});
