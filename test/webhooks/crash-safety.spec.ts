import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { startEmulator, type RunningEmulator } from '@billing/stripe-emulator';
import { createTier } from '../support/catalog.js';
import { REPO_ROOT } from '../support/spawn.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { accountToken, TEST_ADMIN_TOKEN, TEST_JWT_SECRET } from '../support/test-app.js';
import { webhookPath, type AdminEvent } from '../support/webhooks.js';

const SUBSCRIPTIONS = 15;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The built service (`node dist/src/main.js`) as a process of its own, as an operator runs it. */
class ServiceProcess {
  private child: ChildProcess | undefined;
  output = '';

  constructor(
    readonly baseUrl: string,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['dist/src/main.js'], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env } });
    this.child = child;
    child.stdout!.on('data', (d) => (this.output += d));
    child.stderr!.on('data', (d) => (this.output += d));
    // The suite's timeout (jest.config.js): a loaded machine starts it slowly; only a hang should fail here.
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}:\n${this.output}`);
      const ok = await fetch(`${this.baseUrl}/health`).then((r) => r.ok, () => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`the service did not start:\n${this.output}`);
      await sleep(50);
    }
  }

  /** Ends the process at once, as a crash or an OOM kill would: no shutdown hook runs. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  admin(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json', ...init.headers } });
  }

  async stats(): Promise<Record<string, number>> {
    const res = await this.admin('/admin/webhook-events/stats');
    if (!res.ok) throw new Error(`stats: ${res.status}`);
    return (await res.json()) as Record<string, number>;
  }
}

describe('a service killed while it applies webhook events loses none and applies each once after a restart', () => {
  let emulator: RunningEmulator;
  let stripe: Stripe;
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  let service: ServiceProcess;

  beforeAll(async () => {
    // Stripe keeps re-delivering what the dead service did not acknowledge (for days; here for about
    // a minute, long enough for a restart on a busy machine).
    emulator = await startEmulator({ port: 0, webhookRetryDelaysMs: [100, 200, 400, 800, ...Array<number>(60).fill(1000)] });
    stripe = new Stripe(emulator.secretKey, { host: emulator.host, port: emulator.port, protocol: 'http', maxNetworkRetries: 0 });
    database = await createTestDatabase();
    if (!database) dataDir = mkdtempSync(join(tmpdir(), 'billing-crash-'));
    const port = await freePort();
    service = new ServiceProcess(`http://127.0.0.1:${port}`, {
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      HOST: '127.0.0.1',
      PORT: String(port),
      JWT_SECRET: TEST_JWT_SECRET,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      ...(database ? { DATABASE_URL: database.url } : { DATA_DIR: dataDir! }),
      STRIPE_SECRET_KEY: emulator.secretKey,
      STRIPE_API_BASE: emulator.url,
      WEBHOOK_WORKER_BATCH_SIZE: '5',
    });
    await service.start();

    // Point the platform's webhooks at the service, with the secret Stripe made for the endpoint.
    const endpoint = await stripe.webhookEndpoints.create({ url: `${service.baseUrl}${webhookPath('default')}`, enabled_events: ['*'] });
    const rotated = await service.admin('/admin/applications/default/webhook-secret/rotate', { method: 'POST', body: JSON.stringify({ secret: endpoint.secret, overlap_hours: 0 }) });
    expect(rotated.status).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await service?.kill();
    await emulator?.stop();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it(`ends with every event of ${SUBSCRIPTIONS} new subscriptions processed exactly once and the mirror equal to Stripe's`, async () => {
    // Slow Stripe reads make each batch of events take a while, so that the kill lands inside one.
    emulator.setFaults({ api: [{ method: 'GET', latency_ms: 50 }] });
    const tier = await createTier(stripe, 'crash', ['crash_feature']);
    const burst = Promise.all(
      Array.from({ length: SUBSCRIPTIONS }, async (_, i) => {
        const accountId = `CRASH-${i}`;
        const customer = await stripe.customers.create({ email: `owner${i}@crash.example`, metadata: { account_id: accountId }, invoice_settings: { default_payment_method: 'pm_card_visa' } });
        return stripe.subscriptions.create({ customer: customer.id, items: [{ price: tier.monthly.id, quantity: 1 + (i % 3) }], metadata: { account_id: accountId, application_id: 'default' } });
      }),
    );

    // Kill it once it has acknowledged part of the stream, while it is still applying it. (Watched
    // from the emulator's delivery log: on PGlite the admin API waits behind the busy workers.)
    const acknowledged = () => emulator.emulator.delivery.log.filter((d) => d.status === 200).length;
    const deadline = Date.now() + 180_000; // the suite's timeout: slow is not wrong, only a stall is
    while (acknowledged() < 40) {
      if (Date.now() > deadline) throw new Error(`only ${acknowledged()} deliveries acknowledged\n${service.output}`);
      await sleep(5);
    }
    await service.kill('SIGKILL');
    const killedAt = Date.now();
    // Stripe goes on: the rest of the burst is made while the service is down, and delivered later.
    const made = await burst;

    await service.start();
    await emulator.flushWebhooks();
    emulator.clearFaults();
    const sent = (await stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 })).map((e) => e.id);
    const settled = Date.now() + 45_000;
    for (;;) {
      const stats = await service.stats();
      const total = Object.values(stats).reduce((a, b) => a + b, 0);
      if (total >= sent.length && !stats.received && !stats.failed && !stats.processing) break;
      if (Date.now() > settled) throw new Error(`not settled: ${JSON.stringify(stats)} of ${sent.length} events\n${service.output}`);
      await sleep(50);
    }

    const listed = await service.admin('/admin/webhook-events?limit=500');
    const stored = ((await listed.json()) as { data: AdminEvent[] }).data;
    expect(stored.map((e) => e.id).sort()).toEqual([...sent].sort());
    // One committed attempt each: an attempt cut short by the kill left no trace.
    expect(stored.filter((e) => e.state !== 'processed' || e.attempts !== 1)).toEqual([]);
    // The kill did fall in the middle: some events were applied before it, others only after the restart,
    // among them some that Stripe delivered again because the dead service never acknowledged them.
    const processedAt = stored.map((e) => new Date(e.processed_at!).getTime());
    expect(processedAt.filter((t) => t < killedAt).length).toBeGreaterThan(0);
    expect(processedAt.filter((t) => t > killedAt).length).toBeGreaterThan(0);
    expect(stored.filter((e) => new Date(e.received_at).getTime() > killedAt).length).toBeGreaterThan(0);

    for (const [i, sub] of made.entries()) {
      const fresh = await stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
      const token = await accountToken({ acc: `CRASH-${i}`, role: 'owner' });
      const res = await fetch(`${service.baseUrl}/api/accounts/CRASH-${i}/subscriptions`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: { id: string; status: string; current_period_end: string; latest_invoice_status: string; has_access: boolean; items: { price_id: string; quantity: number }[] }[] };
      expect(data).toEqual([
        expect.objectContaining({
          id: sub.id,
          status: fresh.status,
          current_period_end: new Date(fresh.items.data[0]!.current_period_end * 1000).toISOString(),
          latest_invoice_status: (fresh.latest_invoice as Stripe.Invoice).status,
          has_access: true,
          items: [expect.objectContaining({ price_id: tier.monthly.id, quantity: fresh.items.data[0]!.quantity })],
        }),
      ]);
    }
  }, 180_000);
});
