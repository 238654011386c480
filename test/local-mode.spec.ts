import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { startEmulator, type RunningEmulator } from '@billing/stripe-emulator';
import { temporaryRoot } from '../src/local-mode.js';
import { bannerValue, freePort, startService, type ServiceProcess } from './support/service-process.js';
import { runBuilt } from './support/spawn.js';

const ADMIN_TOKEN = 'dev-only-insecure-admin-token';

/**
 * The README's "Local mode" section, step by step, as a newcomer runs it: `npm start` with no
 * configuration (here `node dist/src/main.js`, built by the suite's set-up, on free ports and with
 * DATA_DIR in a temporary folder), the printed billing URL, a purchase of the demo catalog paid on
 * the emulator's page, `npm run admin` and `npm run reconcile` against the running process, and a
 * restart that keeps the data.
 */
describe('local mode, as the README walks a newcomer through it', () => {
  let dataDir: string;
  let port: number;
  let emulatorPort: number;
  let service: ServiceProcess | undefined;
  let api: string;
  let billingUrl: URL;
  let ownerToken: string;
  let stripe: Stripe;
  let demoPrices: string[];

  beforeAll(async () => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'local-mode-')), 'data');
    [port, emulatorPort] = [await freePort(), await freePort()];
    service = await startService({ PORT: String(port), EMULATOR_PORT: String(emulatorPort), DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await service?.stop();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  const get = async (path: string, token = ADMIN_TOKEN): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.json() };
  };
  const post = async (path: string, token: string, body: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${api}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  /** The built CLIs, as `npm run admin` / `npm run reconcile` run them in the newcomer's shell (which set PORT for npm start). */
  const cli = (entry: string, ...args: string[]) => runBuilt(entry, args, { PORT: String(port) });

  it('1. npm start prints where everything is: API, docs, the billing page with a token, the emulator and its key, the admin token', () => {
    const banner = service!.banner;
    api = bannerValue(banner, 'API')!;
    expect(api).toBe(`http://localhost:${port}`);
    expect(bannerValue(banner, 'API docs')).toBe(`${api}/docs`);
    const billing = /^(\S+)/.exec(bannerValue(banner, 'Billing page')!)![1]!;
    billingUrl = new URL(billing);
    expect(`${billingUrl.origin}${billingUrl.pathname}`).toBe(`${api}/billing`);
    ownerToken = new URLSearchParams(billingUrl.hash.slice(1)).get('token')!;
    expect(ownerToken).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(bannerValue(banner, 'Stripe')).toBe(`the bundled Stripe emulator at http://127.0.0.1:${emulatorPort}, secret key sk_test_emulator (EMULATOR_PORT)`);
    expect(banner).toContain('4242 4242 4242 4242');
    expect(bannerValue(banner, 'Demo catalog')).toMatch(/^Demo Plan: ¥1,000 a month \(price_\w+\), ¥10,000 a year \(price_\w+\)$/);
    demoPrices = [...bannerValue(banner, 'Demo catalog')!.matchAll(/\((price_\w+)\)/g)].map((m) => m[1]!);
    expect(bannerValue(banner, 'Database')).toBe(`embedded PGlite in ${dataDir}`);
    expect(bannerValue(banner, 'Admin token')).toMatch(new RegExp(`^${ADMIN_TOKEN} `));
    expect(banner).not.toContain('api.stripe.com');
    stripe = new Stripe('sk_test_emulator', { host: '127.0.0.1', port: emulatorPort, protocol: 'http', maxNetworkRetries: 0 });
  });

  it('logs the start in a few clean JSON lines: no route-mapping lines, no terminal colour codes', () => {
    const lines = service!.beforeBanner.split('\n').filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(service!.beforeBanner).not.toContain('Mapped {');
    expect(service!.beforeBanner).not.toContain('dependencies initialized');
    expect(service!.stdout()).not.toContain('\u001b');
    expect(service!.stdout()).not.toContain('\\u001b');
    expect(lines.length).toBeLessThan(20);
  });

  it('2. answers /health and serves the API docs', async () => {
    expect((await fetch(`${api}/health`)).status).toBe(200);
    expect((await fetch(`${api}/docs`)).status).toBe(200);
  });

  it('3. sells the demo catalog: a product with a monthly and a yearly yen price and two features, in the default application', async () => {
    const application = await get('/admin/applications/default');
    expect(application.status).toBe(200);
    expect([...application.body.price_ids].sort()).toEqual([...demoPrices].sort());
    // The billing page's origin is allowed, so Stripe may send the browser back to it.
    expect(application.body.allowed_origins).toEqual(expect.arrayContaining([`http://localhost:${port}`, `http://127.0.0.1:${port}`]));
    const prices = await Promise.all(demoPrices.map((id) => stripe.prices.retrieve(id, { expand: ['product'] })));
    expect(prices.map((p) => [p.currency, p.unit_amount, p.recurring?.interval, (p.product as Stripe.Product).name])).toEqual([
      ['jpy', 1000, 'month', 'Demo Plan'],
      ['jpy', 10000, 'year', 'Demo Plan'],
    ]);
    const features = await stripe.products.listFeatures((prices[0]!.product as Stripe.Product).id);
    expect(features.data.map((f) => f.entitlement_feature.lookup_key).sort()).toEqual(['demo_api_access', 'demo_reports']);
  });

  it('4. buys the monthly plan with the printed token: checkout, paid with 4242 on the emulator page, back to the billing page, features granted', async () => {
    const checkout = await post('/api/subscriptions/stripe/checkout-session', ownerToken, {
      price_id: demoPrices[0],
      success_url: `${api}/billing?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${api}/billing?checkout=canceled`,
    });
    expect(checkout.status).toBe(200);
    const page = await (await fetch(checkout.body.url, { headers: { accept: 'text/html', 'accept-language': 'ja,en;q=0.5' } })).text();
    expect(page).toContain('Demo Plan');
    expect(page).toContain('￥1,000 毎月');
    // The browser posts the emulator's form and is sent back to the billing page.
    const paid = await fetch(`${checkout.body.url}/pay`, {
      method: 'POST',
      redirect: 'manual',
      headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'card=4242424242424242',
    });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`${api}/billing?session_id=${checkout.body.id}`);
    // The webhooks reach the service and its worker applies them.
    let keys: string[] = [];
    for (let i = 0; i < 600 && keys.length < 2; i++) {
      keys = (await get('/api/subscriptions/features', ownerToken)).body.data.map((f: { lookup_key: string }) => f.lookup_key).sort();
      if (keys.length < 2) await new Promise((r) => setTimeout(r, 250));
    }
    expect(keys).toEqual(['demo_api_access', 'demo_reports']);
  });

  it('5. npm run admin changes what the running service sees', async () => {
    const result = await cli('dist/scripts/admin.js', 'applications', 'update', 'default', '--price', demoPrices[1]!, '--trial-days', '30');
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ id: 'default', price_ids: [demoPrices[1]], trial_days: 30 });
    expect((await get('/admin/applications/default')).body).toMatchObject({ price_ids: [demoPrices[1]], trial_days: 30 });
    const back = await cli('dist/scripts/admin.js', 'applications', 'update', 'default', '--price', demoPrices[0]!, '--price', demoPrices[1]!);
    expect(back.code).toBe(0);
    const events = await cli('dist/scripts/admin.js', 'webhook-events', 'stats');
    expect(JSON.parse(events.stdout)).toMatchObject({ processed: expect.any(Number) });
  });

  it('6. npm run reconcile re-syncs the running service from its emulator', async () => {
    const result = await cli('dist/scripts/reconcile.js');
    expect(result.code).toBe(0);
    const run = JSON.parse(result.stdout);
    expect(run).toMatchObject({ status: 'succeeded', scope: 'platform', error: null });
    expect(run.created + run.updated + run.unchanged).toBe(1);
    expect(result.stderr).toMatch(/^reconcile platform · succeeded in /m);
  });

  it('refuses a second start on the same emulator port in one line naming EMULATOR_PORT', async () => {
    const second = await runBuilt('dist/src/main.js', [], { PORT: String(await freePort()), EMULATOR_PORT: String(emulatorPort) });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`^EMULATOR_PORT ${emulatorPort} is already in use [^\\n]*set EMULATOR_PORT to a free port[^\\n]*\\n$`));
  });

  it('starts again on DATA_DIR, on another port: one demo catalog (not two), and the billing page on the new port may buy', async () => {
    const stopped = await service!.stop();
    expect(stopped.signal ?? stopped.code).toBeTruthy();
    port = await freePort();
    service = await startService({ PORT: String(port), EMULATOR_PORT: String(emulatorPort), DATA_DIR: dataDir });
    api = bannerValue(service.banner, 'API')!;
    expect(api).toBe(`http://localhost:${port}`);
    // The bundled emulator kept nothing: the catalog names its new demo prices, and only them.
    const restarted = [...bannerValue(service.banner, 'Demo catalog')!.matchAll(/\((price_\w+)\)/g)].map((m) => m[1]!);
    expect(restarted).toHaveLength(2);
    // What was bought on the previous emulator is gone from it, and so from the service.
    expect(service.banner).toContain('the emulator started empty: what was bought on it before is gone here too (customers: 1, subscriptions: 1)');
    const application = (await get('/admin/applications/default')).body;
    expect([...application.price_ids].sort()).toEqual([...restarted].sort());
    expect(application.trial_days).toBe(30);
    expect(application.allowed_origins).toEqual(expect.arrayContaining([`http://localhost:${port}`, `http://127.0.0.1:${port}`]));
    const token = new URLSearchParams(new URL(/^(\S+)/.exec(bannerValue(service.banner, 'Billing page')!)![1]!).hash.slice(1)).get('token')!;
    expect((await get('/api/subscriptions/features', token)).body.data).toEqual([]);
    const checkout = await post('/api/subscriptions/stripe/checkout-session', token, {
      price_id: restarted[1],
      success_url: `${api}/billing?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${api}/billing?checkout=canceled`,
    });
    expect(checkout.status).toBe(200);
  });

  describe('with an emulator of its own (STRIPE_API_BASE) and no DATA_DIR', () => {
    let emulator: RunningEmulator;
    beforeAll(async () => {
      emulator = await startEmulator({ port: 0 });
    });
    afterAll(() => emulator.stop());

    it('names that emulator, makes the demo catalog once across restarts, and removes its temporary database at exit', async () => {
      const env = { PORT: String(await freePort()), STRIPE_API_BASE: emulator.url };
      const emulatorStripe = new Stripe(emulator.secretKey, { host: emulator.host, port: emulator.port, protocol: 'http', maxNetworkRetries: 0 });
      for (let start = 0; start < 2; start++) {
        const run = await startService(env);
        try {
          expect(bannerValue(run.banner, 'Stripe')).toBe(`the Stripe emulator at ${emulator.url} (STRIPE_API_BASE), secret key sk_test_emulator`);
          expect(bannerValue(run.banner, 'Database')).toBe('embedded PGlite, temporary: lost at exit (set DATA_DIR to keep it)');
          expect(bannerValue(run.banner, 'Demo catalog')).toMatch(/^Demo Plan: /);
        } finally {
          await run.stop();
        }
        expect([temporaryRoot(), tmpdir()].flatMap((root) => readdirSync(root)).filter((name) => name.startsWith(`billing-pglite-${run.child.pid}-`))).toEqual([]);
        expect((await emulatorStripe.prices.list({ limit: 100 })).data).toHaveLength(2);
        expect((await emulatorStripe.products.list({ limit: 100 })).data).toHaveLength(1);
        expect((await emulatorStripe.entitlements.features.list({ limit: 100 })).data).toHaveLength(2);
        // Its webhooks come to the service, through two endpoints (the platform's events, and connected
        // accounts' through a Connect one): the restart replaced the first two.
        const url = `http://127.0.0.1:${env.PORT}/api/applications/default/subscriptions/stripe/webhook`;
        expect((await emulatorStripe.webhookEndpoints.list({ limit: 100 })).data.map((e) => e.url)).toEqual([url, url]);
      }
    });

    it('starts with an empty catalog when LOCAL_DEMO_CATALOG=false', async () => {
      const run = await startService({ PORT: String(await freePort()), STRIPE_API_BASE: emulator.url, LOCAL_DEMO_CATALOG: 'false' });
      try {
        expect(bannerValue(run.banner, 'Demo catalog')).toBeUndefined();
        const res = await fetch(`${bannerValue(run.banner, 'API')}/admin/applications/default`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        expect(((await res.json()) as { price_ids: string[] }).price_ids).toEqual([]);
      } finally {
        await run.stop();
      }
    });
  });
});
