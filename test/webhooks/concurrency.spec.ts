import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type Stripe from 'stripe';
import { createApp } from '../../src/bootstrap.js';
import { FollowingClock } from '../../src/infra/clock/emulator-clock.js';
import { ApplicationsService } from '../../src/tenancy/applications.service.js';
import { WebhookWorker } from '../../src/webhooks/webhook-worker.service.js';
import { createTier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { usingPostgres } from '../support/test-database.js';
import { query, webhookPath } from '../support/webhooks.js';

const SUBSCRIPTIONS = 30;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Two workers claim from one inbox at once. On PostgreSQL they are two instances of the service
 * on one database, each with its own webhook endpoint (so every event also arrives twice, once at
 * each). PGlite is one in-process database that a second process cannot open, so there the two
 * claimants are two loops of the worker's batches running side by side in the one instance.
 */
describe('workers of two instances share one event stream without applying any event twice', () => {
  let s: Stack;
  let second: NestFastifyApplication | undefined;
  const claimed = { first: 0, second: 0 };
  let stopLoops = () => {};
  let loops: Promise<void>[] = [];

  /** Counts the events a worker's background loops claim, without changing what they do. */
  function countClaims(worker: WebhookWorker, into: 'first' | 'second') {
    const runBatch = worker.runBatch.bind(worker);
    worker.runBatch = async () => {
      const batch = await runBatch();
      claimed[into] += batch.claimed;
      return batch;
    };
  }

  /** A worker loop of our own: claims batches until stopped. */
  async function loop(worker: WebhookWorker, into: 'first' | 'second', running: () => boolean) {
    while (running()) {
      const { claimed: n } = await worker.runBatch();
      claimed[into] += n;
      if (n === 0) await sleep(10);
    }
  }

  beforeAll(async () => {
    const workers = { WEBHOOK_WORKER_CONCURRENCY: '2', WEBHOOK_WORKER_BATCH_SIZE: '5', WEBHOOK_WORKER_POLL_MS: '20' };
    if (usingPostgres()) {
      s = await startStack({ ...workers, WEBHOOK_WORKER_ENABLED: 'true' });
      countClaims(s.app.get(WebhookWorker), 'first');
      second = await createApp({ ...s.config }, { clock: new FollowingClock(s.emulator) });
      await second.listen(0, '127.0.0.1');
      countClaims(second.get(WebhookWorker), 'second');
      // Its own endpoint on the same Stripe account, for the platform's events (those of this test);
      // the first instance's two secrets (platform and Connect endpoints) stay valid with its own.
      const url = `${(await second.getUrl()).replace('[::1]', '127.0.0.1')}${webhookPath('default')}`;
      const endpoint = await s.stripe.webhookEndpoints.create({ url, enabled_events: ['*'] });
      await s.admin(s.http().post('/admin/applications/default/webhook-secret/rotate')).send({ secret: endpoint.secret, overlap_hours: 24 }).expect(200);
      expect(await s.app.get(ApplicationsService).currentWebhookSecrets('default')).toHaveLength(3);
    } else {
      s = await startStack({ ...workers, WEBHOOK_WORKER_ENABLED: 'false' });
      const worker = s.app.get(WebhookWorker);
      let running = true;
      stopLoops = () => (running = false);
      loops = [loop(worker, 'first', () => running), loop(worker, 'second', () => running)];
    }
  });
  afterAll(async () => {
    stopLoops();
    await Promise.all(loops);
    await second?.close();
    await s.close();
  });

  it(`applies the events of ${SUBSCRIPTIONS} new subscriptions each exactly once, and the mirror equals Stripe`, async () => {
    // Stripe also re-sends some events: duplicates must be absorbed by the inbox, not applied again.
    s.emulator.setFaults({ webhooks: { duplicate: { probability: 0.3 } } });
    const tier = await createTier(s.stripe, 'concurrent', ['concurrent_feature']);
    const made: Stripe.Subscription[] = [];
    await Promise.all(
      Array.from({ length: SUBSCRIPTIONS }, async (_, i) => {
        const accountId = `CO-${i}`;
        const customer = await s.stripe.customers.create({ email: `owner${i}@co.example`, metadata: { account_id: accountId }, invoice_settings: { default_payment_method: 'pm_card_visa' } });
        made.push(await s.stripe.subscriptions.create({ customer: customer.id, items: [{ price: tier.monthly.id, quantity: 1 + (i % 4) }], metadata: { account_id: accountId, application_id: 'default' } }));
      }),
    );
    expect(made.every((sub) => sub.status === 'active')).toBe(true);

    const sent = (await s.stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 })).map((e) => e.id);
    expect(sent.length).toBeGreaterThan(SUBSCRIPTIONS * 4);
    await s.emulator.flushWebhooks();
    // A deadline of its own so that a failure stops the loop; the suite's timeout, not a shorter one.
    const deadline = Date.now() + 180_000;
    for (;;) {
      const [row] = await query<{ total: string; pending: string }>(s.app, `select count(*) as total, count(*) filter (where state in ('received', 'failed')) as pending from webhook_events`);
      if (Number(row!.total) >= sent.length && Number(row!.pending) === 0) break;
      if (Date.now() > deadline) throw new Error(`events still pending: ${JSON.stringify(row)} of ${sent.length}`);
      await sleep(50);
    }

    const stored = await query<{ id: string; state: string; attempts: number; last_error: string | null }>(s.app, 'select id, state, attempts, last_error from webhook_events');
    expect(stored.map((e) => e.id).sort()).toEqual([...sent].sort());
    expect(stored.filter((e) => e.state !== 'processed' || e.attempts !== 1)).toEqual([]);
    // Both claimants really took part.
    expect(claimed.first).toBeGreaterThan(0);
    expect(claimed.second).toBeGreaterThan(0);
    // An event whose customer another batch is writing is left for a later batch: claims can exceed events.
    expect(claimed.first + claimed.second).toBeGreaterThanOrEqual(sent.length);

    const mirror = await query<{ id: string; status: string; account_id: string; latest_invoice_status: string; current_period_end: Date; access_until: Date }>(
      s.app,
      'select * from subscriptions',
    );
    expect(mirror).toHaveLength(SUBSCRIPTIONS);
    for (const sub of made) {
      const fresh = await s.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
      const row = mirror.find((m) => m.id === sub.id);
      expect(row).toMatchObject({ status: fresh.status, account_id: fresh.metadata.account_id, latest_invoice_status: (fresh.latest_invoice as Stripe.Invoice).status });
      expect(new Date(row!.access_until).getTime() / 1000).toBe(fresh.items.data[0]!.current_period_end);
      const items = await query<{ price_id: string; quantity: number }>(s.app, 'select price_id, quantity from subscription_items where subscription_id = ?', [sub.id]);
      expect(items).toEqual([{ price_id: tier.monthly.id, quantity: fresh.items.data[0]!.quantity }]);
    }
    const identities = await query<{ n: string }>(s.app, 'select count(*) as n from identities');
    expect(Number(identities[0]!.n)).toBe(SUBSCRIPTIONS);
  });
});
