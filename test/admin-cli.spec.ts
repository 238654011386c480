import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { startEmulator, type RunningEmulator } from '@billing/stripe-emulator';
import { REPO_ROOT, runBuilt } from './support/spawn.js';
import { TEST_ADMIN_TOKEN, TEST_JWT_SECRET } from './support/test-app.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from './support/test-database.js';

const ENTRY = 'dist/scripts/admin.js';

/** Builds dist/ (as `npm run admin` does) unless the global setup or an earlier run already built it from the current sources. */
function buildUnlessFresh(): void {
  const built = join(REPO_ROOT, ENTRY);
  const newestSource = Math.max(
    ...['src', 'scripts', 'migrations'].flatMap((dir) =>
      readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => statSync(join(REPO_ROOT, dir, f)).mtimeMs),
    ),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= newestSource) return;
  execFileSync('npm', ['run', '-s', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
}

describe(`npm run admin on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  let env: Record<string, string>;
  let emulator: RunningEmulator;
  /** Real prices on the platform's Stripe account (the emulator): catalogs list only prices that exist. */
  const price: Record<string, string> = {};

  beforeAll(async () => {
    buildUnlessFresh();
    database = await createTestDatabase();
    if (!database) dataDir = mkdtempSync(join(tmpdir(), 'admin-cli-'));
    emulator = await startEmulator({ port: 0 });
    const stripe = new Stripe(emulator.secretKey, { host: emulator.host, port: emulator.port, protocol: 'http', maxNetworkRetries: 0 });
    const product = await stripe.products.create({ name: 'CLI plan' });
    for (const name of ['a', 'b', 'new']) price[name] = (await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month' } })).id;
    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: database?.url ?? '',
      DATA_DIR: dataDir ?? '',
      STRIPE_SECRET_KEY: emulator.secretKey,
      STRIPE_API_BASE: emulator.url,
    };
  });
  afterAll(async () => {
    await emulator?.stop();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

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

  it('prints every command on help', async () => {
    const result = await admin('help');
    expect(result.code).toBe(0);
    for (const command of ['merchants create', 'merchants update', 'applications create', 'applications rotate-secret', 'keys issue', 'keys list', 'keys revoke']) {
      expect(result.stdout).toContain(`npm run admin -- ${command}`);
    }
  });

  // First on the fresh database, so that "nothing written" means: still only what a fresh start creates.
  it('refuses bad input with a one-line error and a non-zero exit, and writes nothing', async () => {
    // Refused before the database is opened: a wrong command line (exit 2) or flags the DTO refuses (exit 1).
    const [invalid] = await Promise.all([
      refused(1, 'validation_failed', 'merchants', 'create', '--display-name', 'Bad', '--charge-model', 'marketplace', '--fee', 'ten'),
      refused(1, 'validation_failed', 'applications', 'create', '--id', 'bad-origin', '--name', 'O', '--merchant', 'platform', '--origin', 'https://a.example.com/path'),
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
    // A price Stripe does not have, named in the message.
    expect(await refused(1, 'price_not_found', 'applications', 'update', 'default', '--price', 'price_doesnotexist')).toContain('price_doesnotexist');
    await refused(1, 'price_not_found', 'applications', 'create', '--id', 'no-price', '--name', 'N', '--merchant', 'platform', '--price', 'price_doesnotexist');

    expect((await ok('merchants', 'list')).data).toEqual([expect.objectContaining({ id: 'platform', display_name: 'Platform' })]);
    expect((await ok('applications', 'list')).data).toEqual([expect.objectContaining({ id: 'default', price_ids: [] })]);
  });

  it('creates a merchant and an application, issues a key, lists it and revokes it, printing JSON', async () => {
    const merchant = await ok('merchants', 'create', '--id', 'acme', '--display-name', 'ACME K.K.', '--charge-model', 'destination', '--stripe-account', 'acct_cli00001', '--fee', '12.5');
    expect(merchant).toMatchObject({ id: 'acme', display_name: 'ACME K.K.', charge_model: 'destination', stripe_account_id: 'acct_cli00001', application_fee_percent: 12.5, status: 'active' });

    const application = await ok('applications', 'create', '--id', 'shop', '--name', 'Shop', '--merchant', 'acme', '--origin', 'https://shop.example.com', '--price', price.a!, '--price', price.b!, '--trial-days', '30');
    expect(application).toMatchObject({ id: 'shop', merchant_id: 'acme', allowed_origins: ['https://shop.example.com'], trial_days: 30, webhook_secret: expect.stringMatching(/^whsec_/) });
    expect([...application.price_ids].sort()).toEqual([price.a, price.b].sort());

    const issued = await ok('keys', 'issue', 'shop', '--name', 'partner');
    expect(issued).toMatchObject({ name: 'partner', key: expect.stringMatching(/^psk_/), revoked_at: null });

    const listed = await admin('keys', 'list', 'shop');
    expect(listed.stdout).not.toContain(issued.key);
    const { key: _key, ...withoutKey } = issued;
    expect(JSON.parse(listed.stdout)).toEqual({ data: [withoutKey] });

    const revoked = await ok('keys', 'revoke', 'shop', issued.id);
    expect(revoked).toEqual({ ...withoutKey, revoked_at: expect.any(String) });
  });

  it('updates an application, replacing its catalog, and rotates its webhook secret', async () => {
    const updated = await ok('applications', 'update', 'default', '--price', price.new!, '--grace-days', '3');
    expect(updated).toMatchObject({ id: 'default', price_ids: [price.new], past_due_grace_days: 3 });
    const rotated = await ok('applications', 'rotate-secret', 'default', '--secret', 'whsec_rotatedFromCli', '--overlap-hours', '0');
    expect(rotated).toMatchObject({ secret: 'whsec_rotatedFromCli' });
    expect(await ok('applications', 'show', 'default')).toMatchObject({ price_ids: [price.new], webhook_secrets_active: 1 });
  });

  it('warns that nothing is kept when neither DATA_DIR nor DATABASE_URL is set', async () => {
    const result = await runBuilt(ENTRY, ['merchants', 'list'], { ...env, DATABASE_URL: '', DATA_DIR: '' });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^warning: .*in-memory.*Set DATA_DIR .* or DATABASE_URL/);
    expect(JSON.parse(result.stdout).data).toEqual([expect.objectContaining({ id: 'platform' })]);
  });
});
