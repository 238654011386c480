import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../src/cli/admin-commands.js';
import { runBuilt } from './support/spawn.js';
import { startStack, type Stack } from './support/stack.js';
import { TEST_ADMIN_TOKEN, TEST_JWT_SECRET } from './support/test-app.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from './support/test-database.js';

const ENTRY = 'dist/scripts/admin.js';

/** A port where nothing listens (taken and released at once). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * `npm run admin` (the built dist/scripts/admin.js, as a user runs it) against a running service:
 * the real application listening on a port, on its own database, with the bundled emulator as its
 * Stripe. Every command goes through the service's admin API, so what it changes is what the
 * service sees; `--direct` acts on a database in the command's own process.
 */
describe(`npm run admin against a running service on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let t: Stack;
  let env: Record<string, string>;
  /** Real prices on the platform's Stripe account (the emulator): catalogs list only prices that exist. */
  const price: Record<string, string> = {};

  beforeAll(async () => {
    t = await startStack();
    const product = await t.stripe.products.create({ name: 'CLI plan' });
    for (const name of ['a', 'b', 'new']) price[name] = (await t.stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month' } })).id;
    await t.settle();
    // What a user's shell has: the service's URL and admin token, no database and no Stripe key.
    env = { NODE_ENV: 'test', ADMIN_TOKEN: TEST_ADMIN_TOKEN, JWT_SECRET: TEST_JWT_SECRET, SERVICE_URL: t.baseUrl };
  });
  afterAll(() => t?.close());

  const admin = (...args: string[]) => runBuilt(ENTRY, args, env);
  /** Runs a command that must succeed and returns the JSON it printed. */
  const ok = async (...args: string[]) => {
    const result = await admin(...args);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(result.stdout);
  };
  /** Runs a command that must fail: one line on stderr, nothing on stdout. */
  const refused = async (exitCode: number, code: string, ...args: string[]) => {
    const result = await admin(...args);
    expect(result).toEqual({ code: exitCode, stdout: '', stderr: expect.stringMatching(new RegExp(`^error: ${code}: [^\\n]+\\n$`)) });
    return result.stderr;
  };
  /** What the service itself answers, over HTTP with the admin token. */
  const service = async (path: string) => (await t.admin(t.http().get(path)).expect(200)).body;

  it('prints every command on help, with the route it calls', async () => {
    const result = await admin('help');
    expect(result.code).toBe(0);
    for (const [name, command] of Object.entries(COMMANDS)) {
      expect(result.stdout).toContain(`npm run admin -- ${name}`);
      expect(result.stdout).toContain(command.route);
    }
    expect(result.stdout).toContain('SERVICE_URL');
  });

  it('has a command for every admin route of the API, and no command for a route that does not exist', async () => {
    const document = await t.http().get('/docs-json').expect(200);
    const routes = Object.entries(document.body.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith('/admin'))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
      .sort();
    expect(routes.length).toBeGreaterThan(15);
    expect(Object.values(COMMANDS).map((c) => c.route).sort()).toEqual(routes);
  });

  // First on the fresh database, so that "nothing written" means: still only what a fresh start creates.
  it('refuses bad input with a one-line error and a non-zero exit, and writes nothing', async () => {
    // Refused before anything is sent: a wrong command line (exit 2) or flags the DTO refuses (exit 1).
    const [invalid] = await Promise.all([
      refused(1, 'validation_failed', 'merchants', 'create', '--display-name', 'Bad', '--charge-model', 'marketplace', '--fee', 'ten'),
      refused(1, 'validation_failed', 'applications', 'create', '--id', 'bad-origin', '--name', 'O', '--merchant', 'platform', '--origin', 'https://a.example.com/path'),
      refused(1, 'validation_failed', 'webhook-events', 'list', '--state', 'lost'),
      refused(2, 'usage', 'merchants', 'create', '--display-name', 'Typo', '--charge-model', 'platform', '--colour', 'red'),
      refused(2, 'usage', 'merchants', 'remove', 'platform'),
      refused(2, 'usage', 'keys', 'revoke', 'default'),
    ]);
    expect(invalid).toContain('--charge-model');
    expect(invalid).toContain('--fee');
    // Refused by the service, as the API refuses them.
    await refused(1, 'stripe_account_required', 'merchants', 'create', '--display-name', 'No account', '--charge-model', 'direct');
    await refused(1, 'merchant_exists', 'merchants', 'create', '--id', 'platform', '--display-name', 'Again', '--charge-model', 'platform');
    await refused(1, 'merchant_not_found', 'applications', 'create', '--id', 'orphan', '--name', 'Orphan', '--merchant', 'nobody');
    await refused(1, 'application_not_found', 'applications', 'show', 'nobody');
    // A price Stripe does not have, named in the message.
    expect(await refused(1, 'price_not_found', 'applications', 'update', 'default', '--price', 'price_doesnotexist')).toContain('price_doesnotexist');
    await refused(1, 'price_not_found', 'applications', 'create', '--id', 'no-price', '--name', 'N', '--merchant', 'platform', '--price', 'price_doesnotexist');

    expect((await ok('merchants', 'list')).data).toEqual([expect.objectContaining({ id: 'platform', display_name: 'Platform' })]);
    expect((await ok('applications', 'list')).data).toEqual([expect.objectContaining({ id: 'default', price_ids: [] })]);
  });

  it('creates a merchant and an application, issues a key, lists it and revokes it, printing JSON', async () => {
    const merchant = await ok('merchants', 'create', '--id', 'acme', '--display-name', 'ACME K.K.', '--charge-model', 'destination', '--stripe-account', 'acct_cli00001', '--fee', '12.5');
    expect(merchant).toMatchObject({ id: 'acme', display_name: 'ACME K.K.', charge_model: 'destination', stripe_account_id: 'acct_cli00001', application_fee_percent: 12.5, status: 'active' });
    expect(await ok('merchants', 'update', 'acme', '--fee', '10')).toMatchObject({ application_fee_percent: 10 });
    expect(await ok('merchants', 'show', 'acme')).toMatchObject({ application_fee_percent: 10 });

    const application = await ok('applications', 'create', '--id', 'shop', '--name', 'Shop', '--merchant', 'acme', '--origin', 'https://shop.example.com', '--price', price.a!, '--price', price.b!, '--trial-days', '30');
    expect(application).toMatchObject({ id: 'shop', merchant_id: 'acme', allowed_origins: ['https://shop.example.com'], trial_days: 30, webhook_secret: expect.stringMatching(/^whsec_/) });
    expect([...application.price_ids].sort()).toEqual([price.a, price.b].sort());
    expect(await service('/admin/applications/shop')).toMatchObject({ id: 'shop', trial_days: 30 });

    const issued = await ok('keys', 'issue', 'shop', '--name', 'partner');
    expect(issued).toMatchObject({ name: 'partner', key: expect.stringMatching(/^psk_/), revoked_at: null });
    // The key works on the service at once: it is the service that issued it.
    await t.http().get('/api/applications/shop/app-payment-customers?company_id=1').set('authorization', `Bearer ${issued.key}`).expect(200);

    const listed = await admin('keys', 'list', 'shop');
    expect(listed.stdout).not.toContain(issued.key);
    const { key: _key, ...withoutKey } = issued;
    expect(JSON.parse(listed.stdout)).toEqual({ data: [expect.objectContaining({ ...withoutKey, last_used_at: expect.any(String) })] });

    const revoked = await ok('keys', 'revoke', 'shop', issued.id);
    expect(revoked).toMatchObject({ id: issued.id, revoked_at: expect.any(String) });
    await t.http().get('/api/applications/shop/app-payment-customers?company_id=1').set('authorization', `Bearer ${issued.key}`).expect(401);
  });

  it("updates the running service's application, replacing its catalog, and rotates its webhook secret", async () => {
    const updated = await ok('applications', 'update', 'default', '--price', price.new!, '--grace-days', '3');
    expect(updated).toMatchObject({ id: 'default', price_ids: [price.new], past_due_grace_days: 3 });
    // The service sees the change: the README's own command reaches its database through it.
    expect(await service('/admin/applications/default')).toMatchObject({ price_ids: [price.new], past_due_grace_days: 3 });
    const rotated = await ok('applications', 'rotate-secret', 'default', '--secret', 'whsec_rotatedFromCli', '--overlap-hours', '24');
    expect(rotated).toMatchObject({ secret: 'whsec_rotatedFromCli' });
    // The new one, and for the overlap the two of the test stack's endpoints (platform and Connect).
    expect(await ok('applications', 'show', 'default')).toMatchObject({ price_ids: [price.new], webhook_secrets_active: 3 });
  });

  it("lists, shows and replays the service's webhook events", async () => {
    const listed = (await ok('webhook-events', 'list', '--type', 'price.created', '--application', 'default', '--limit', '2')).data;
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatchObject({ type: 'price.created', application_id: 'default', state: 'processed' });
    const shown = await ok('webhook-events', 'show', listed[0].id);
    expect(shown).toMatchObject({ id: listed[0].id, payload: { type: 'price.created', data: { object: { object: 'price' } } } });
    expect(await ok('webhook-events', 'replay', listed[0].id)).toEqual({ requeued: 1 });
    expect(await service(`/admin/webhook-events/${listed[0].id}`)).toMatchObject({ state: 'received' });
    expect(await ok('webhook-events', 'stats')).toMatchObject({ received: 1 });
    expect(await ok('webhook-events', 'replay-dead')).toEqual({ requeued: 0 });
    await refused(1, 'webhook_event_not_found', 'webhook-events', 'show', 'evt_nosuchevent');
  });

  it('starts, lists and shows reconcile runs and syncs the catalog', async () => {
    const run = await ok('reconcile-runs', 'start', '--wait', 'true');
    expect(run).toMatchObject({ status: 'succeeded', scope: 'platform', trigger: 'admin' });
    expect((await ok('reconcile-runs', 'list', '--limit', '5')).data).toEqual([expect.objectContaining({ id: run.id })]);
    expect(await ok('reconcile-runs', 'show', run.id)).toMatchObject({ id: run.id, status: 'succeeded' });
    const synced = (await ok('catalog-sync', '--merchant', 'platform')).data;
    expect(synced).toEqual([expect.objectContaining({ stripe_account: 'platform', merchant_ids: expect.arrayContaining(['platform']), products: 1, prices: 3 })]);
  });

  it('says so in one line when no service answers, or when the admin token is wrong', async () => {
    const port = await closedPort();
    const result = await runBuilt(ENTRY, ['merchants', 'list'], { ...env, SERVICE_URL: `http://127.0.0.1:${port}` });
    expect(result).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: service_unreachable: no billing service answers at http:\/\/127\.0\.0\.1:\d+ .*npm start.*SERVICE_URL[^\n]*\n$/) });
    // Without SERVICE_URL the service of PORT on this machine is called.
    const byPort = await runBuilt(ENTRY, ['merchants', 'list'], { ...env, SERVICE_URL: '', PORT: String(port) });
    expect(byPort.stderr).toContain(`http://localhost:${port}`);
    const wrongToken = await runBuilt(ENTRY, ['merchants', 'list'], { ...env, ADMIN_TOKEN: 'not-the-admin-token-0123456789' });
    expect(wrongToken).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: invalid_admin_token: /) });
  });

  describe('--direct, on a database without a running service', () => {
    let database: TestDatabase | undefined;
    let dataDir: string | undefined;
    let direct: Record<string, string>;
    beforeAll(async () => {
      database = await createTestDatabase();
      if (!database) dataDir = mkdtempSync(join(tmpdir(), 'admin-cli-direct-'));
      direct = { NODE_ENV: 'test', ADMIN_TOKEN: TEST_ADMIN_TOKEN, JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: database?.url ?? '', DATA_DIR: dataDir ?? '' };
    });
    afterAll(async () => {
      await database?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('acts on that database, and what it writes lasts', async () => {
      const created = await runBuilt(ENTRY, ['merchants', 'create', '--id', 'offline', '--display-name', 'Offline', '--charge-model', 'platform', '--direct'], direct);
      expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(created.stdout)).toMatchObject({ id: 'offline' });
      const listed = await runBuilt(ENTRY, ['--direct', 'merchants', 'list'], direct);
      expect(JSON.parse(listed.stdout).data.map((m: { id: string }) => m.id).sort()).toEqual(['offline', 'platform']);
      // The running service's database is another one: it has no such merchant.
      expect((await service('/admin/merchants')).data.map((m: { id: string }) => m.id)).not.toContain('offline');
    });

    it('refuses the throw-away in-memory database instead of succeeding on it', async () => {
      const result = await runBuilt(ENTRY, ['applications', 'update', 'default', '--price', price.a!, '--direct'], { ...direct, DATABASE_URL: '', DATA_DIR: '' });
      expect(result).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: refused: with neither DATABASE_URL nor DATA_DIR set, --direct would act on a throw-away in-memory database[^\n]*\n$/) });
    });
  });
});
