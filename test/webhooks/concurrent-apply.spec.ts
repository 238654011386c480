import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type Stripe from 'stripe';
import { createApp } from '../../src/bootstrap.js';
import { FollowingClock } from '../../src/infra/clock/emulator-clock.js';
import { ApplicationsService } from '../../src/tenancy/applications.service.js';
import { WebhookWorker } from '../../src/webhooks/webhook-worker.service.js';
import { createTier, type Tier } from '../support/catalog.js';
import { deliver, query } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';
import { accountToken } from '../support/test-app.js';
import { usingPostgres } from '../support/test-database.js';

const PAIRS = 10;

/**
 * Events of one object applied by two workers at the same moment. On PostgreSQL the two workers
 * are two instances of the service on one database; on PGlite (one in-process database) they are
 * two batch loops of the one instance. Batches of one event each, and event ids chosen so that
 * the two events of an object are claimed next to each other, put the two workers on the same
 * object at once as often as possible.
 *
 * Before the object locks, two workers applying same-second updates of a subscription both found
 * an older stored version, both took the "newer" path, and the second one's guarded write matched
 * nothing and was dropped (8 or 9 of 10 right); and a subscription applied at the same moment as
 * its customer's first event was stored with no account, for good.
 */
describe('two workers applying events of one object at once', () => {
  let s: Stack;
  let second: NestFastifyApplication | undefined;
  let secret: string;
  let tier: Tier;
  let workers: WebhookWorker[];

  beforeAll(async () => {
    s = await startStack({ WEBHOOK_WORKER_BATCH_SIZE: '1' });
    if (usingPostgres()) {
      second = await createApp({ ...s.config }, { clock: new FollowingClock(s.emulator) });
      await second.init();
    }
    workers = second ? [s.app.get(WebhookWorker), second.get(WebhookWorker)] : [s.app.get(WebhookWorker), s.app.get(WebhookWorker)];
    [secret] = await s.app.get(ApplicationsService).currentWebhookSecrets('default');
    tier = await createTier(s.stripe, 'concurrent_apply', ['concurrent_apply_feature']);
  });
  afterAll(async () => {
    await second?.close();
    await s.close();
  });

  /** Both workers drain the inbox at the same time; returns when nothing is left. */
  const drainTogether = async () => {
    await Promise.all(workers.map((w) => w.drain()));
    const [left] = await query<{ n: string }>(s, `select count(*) as n from webhook_events where state <> 'processed'`);
    expect(Number(left!.n)).toBe(0);
  };

  /** An event as Stripe would send it, with our id (which sets the claim order) and `created`. */
  const event = (id: string, type: string, created: number, object: unknown): Stripe.Event =>
    ({ id, object: 'event', api_version: '2026-10-28.endive', created, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type, data: { object } }) as unknown as Stripe.Event;

  it.each([
    ['in order (quantity 3, then 5)', false],
    ['reversed (5 arrives first)', true],
  ])(`${PAIRS} subscriptions each updated twice in one second, delivered %s: every mirror ends at Stripe's state`, async (label, reversed) => {
    const run = reversed ? 'rev' : 'ord';
    const subs: Stripe.Subscription[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const customer = await s.stripe.customers.create({ metadata: { account_id: `PAIR-${run}-${i}` }, payment_method: 'pm_card_visa' });
      subs.push(await s.stripe.subscriptions.create({ customer: customer.id, items: [{ price: tier.monthly.id, quantity: 1 }], metadata: { application_id: 'default' } }));
    }
    await s.settle();
    s.emulator.setWebhooksEnabled(false);
    try {
      // Later than what is stored, so that the pair is "newer" for both workers.
      s.emulator.advance(10);
      const pairs: Stripe.Event[] = [];
      for (const [i, sub] of subs.entries()) {
        const itemId = sub.items.data[0]!.id;
        const three = await s.stripe.subscriptions.update(sub.id, { items: [{ id: itemId, quantity: 3 }], proration_behavior: 'none' });
        const five = await s.stripe.subscriptions.update(sub.id, { items: [{ id: itemId, quantity: 5 }], proration_behavior: 'none' });
        // Stripe stamps events by the second: these two share one.
        const created = s.emulator.now();
        const [first, last] = reversed ? [five, three] : [three, five];
        pairs.push(
          event(`evt_${run}_${String(i).padStart(2, '0')}_a`, 'customer.subscription.updated', created, first),
          event(`evt_${run}_${String(i).padStart(2, '0')}_b`, 'customer.subscription.updated', created, last),
        );
      }
      for (const e of pairs) expect(await deliver(s, e, secret)).toBe(200);
      await drainTogether();
    } finally {
      s.emulator.setWebhooksEnabled(true);
    }

    const wrong: string[] = [];
    for (const sub of subs) {
      const stripeQuantity = (await s.stripe.subscriptions.retrieve(sub.id)).items.data[0]!.quantity;
      const [item] = await query<{ quantity: number }>(s, 'select quantity from subscription_items where subscription_id = ?', [sub.id]);
      if (item?.quantity !== stripeQuantity) wrong.push(`${sub.id}: mirror ${item?.quantity}, Stripe ${stripeQuantity}`);
    }
    expect({ label, wrong }).toEqual({ label, wrong: [] });
    const states = await query<{ state: string; attempts: number }>(s, `select state, attempts from webhook_events where id like ?`, [`evt_${run}_%`]);
    expect(states).toHaveLength(2 * PAIRS);
    expect(states.every((e) => e.state === 'processed' && e.attempts === 1)).toBe(true);
  });

  it(`${PAIRS} new customers: customer.created and customer.subscription.created applied at once, every subscription ends with its account`, async () => {
    s.emulator.setWebhooksEnabled(false);
    const made: { account: string; subscription: Stripe.Subscription }[] = [];
    try {
      const events: Stripe.Event[] = [];
      for (let i = 0; i < PAIRS; i++) {
        const account = `LINK-${i}`;
        // Only the customer names the account: the subscription's own event cannot link it.
        const customer = await s.stripe.customers.create({ email: `link${i}@example.com`, metadata: { account_id: account }, payment_method: 'pm_card_visa' });
        const subscription = await s.stripe.subscriptions.create({ customer: customer.id, items: [{ price: tier.monthly.id }], metadata: { application_id: 'default' } });
        made.push({ account, subscription });
        const created = s.emulator.now();
        const n = String(i).padStart(2, '0');
        // Alternate which of the two comes first in the claim order.
        const [a, b] = i % 2 ? ['b', 'a'] : ['a', 'b'];
        events.push(event(`evt_link_${n}_${a}`, 'customer.created', created, customer), event(`evt_link_${n}_${b}`, 'customer.subscription.created', created, subscription));
      }
      for (const e of events) expect(await deliver(s, e, secret)).toBe(200);
      await drainTogether();
    } finally {
      s.emulator.setWebhooksEnabled(true);
    }

    const unlinked: string[] = [];
    for (const { account, subscription } of made) {
      const token = await accountToken({ acc: account, role: 'owner' });
      const res = await s.http().get(`/api/accounts/${account}/subscriptions`).set('authorization', `Bearer ${token}`).expect(200);
      const ids = (res.body as { data: { id: string }[] }).data.map((d) => d.id);
      if (!ids.includes(subscription.id)) unlinked.push(`${account}: ${subscription.id} not listed (got ${ids.join(', ') || 'none'})`);
    }
    expect(unlinked).toEqual([]);
  });
});
