import type Stripe from 'stripe';
import { createTier, type Tier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { authed, ownerToken, setCatalog, sqlOf, urls } from './helpers.js';

const BUYERS = 16;

/**
 * Many owners at once, as a month-start or a launch brings them, with the webhook workers of the
 * instance applying the events those purchases cause at the same time. Before the object locks,
 * 8 accounts buying one product at once deadlocked (500) on its product features in 1 to 3 runs of
 * 40, and `checkout-session-sync`, `change` and `resume` deadlocked with a webhook batch writing the
 * same subscription about one run in three.
 */
describe('concurrent buyers and owners', () => {
  let s: Stack;
  let tier: Tier;
  beforeAll(async () => {
    // The workers run in the background, as in production, so that they race the requests.
    s = await startStack({ WEBHOOK_WORKER_ENABLED: 'true', WEBHOOK_WORKER_CONCURRENCY: '2', WEBHOOK_WORKER_BATCH_SIZE: '5', WEBHOOK_WORKER_POLL_MS: '20', DATABASE_POOL_MAX: '10' });
    tier = await createTier(s.stripe, 'crowded', ['crowded_a', 'crowded_b', 'crowded_c']);
    await setCatalog(s, 'default', [tier.monthly.id, tier.yearly.id]);
  });
  afterAll(() => s.close());

  const statuses = (responses: { status: number }[]) => responses.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});

  it(`${BUYERS} accounts buy one product at once, pay, sync, then change, cancel at period end and resume at once: every answer 2xx, the mirror equals Stripe`, async () => {
    const accounts = Array.from({ length: BUYERS }, (_, i) => `CROWD-${i}`);
    const tokens = await Promise.all(accounts.map((a) => ownerToken(a)));
    const post = (i: number, path: string, body: object) => authed(s.http().post(`/api/subscriptions${path}`), tokens[i]!).send(body);

    const checkouts = await Promise.all(accounts.map((_, i) => post(i, '/stripe/checkout-session', { price_id: tier.monthly.id, ...urls })));
    expect(statuses(checkouts)).toEqual({ 200: BUYERS });
    // Paying makes the emulator send its webhooks, which the workers apply while the syncs run.
    await Promise.all(checkouts.map((c) => s.payCheckout(c.body.id as string)));
    const synced = await Promise.all(checkouts.map((c, i) => post(i, '/stripe/checkout-session-sync', { session_id: c.body.id })));
    expect(statuses(synced)).toEqual({ 200: BUYERS });
    const ids = synced.map((r) => r.body.id as string);

    for (const [path, body] of [
      ['change', { interval: 'year' }],
      ['cancel', { timing: 'period_end' }],
      ['resume', {}],
      ['change', { quantity: 3 }],
    ] as const) {
      const answers = await Promise.all(ids.map((id, i) => post(i, `/${id}/${path}`, body)));
      expect({ path, statuses: statuses(answers) }).toEqual({ path, statuses: { 200: BUYERS } });
    }

    await s.settle();
    const sql = sqlOf(s);
    for (const [i, id] of ids.entries()) {
      const stripeSub: Stripe.Subscription = await s.stripe.subscriptions.retrieve(id);
      const [row] = await sql<{ account_id: string; status: string; cancel_at_period_end: boolean }>('select account_id, status, cancel_at_period_end from subscriptions where id = ?', [id]);
      const items = await sql<{ price_id: string; quantity: number }>('select price_id, quantity from subscription_items where subscription_id = ?', [id]);
      expect({ id, row, items }).toEqual({
        id,
        row: { account_id: accounts[i], status: stripeSub.status, cancel_at_period_end: stripeSub.cancel_at_period_end },
        items: [{ price_id: tier.yearly.id, quantity: 3 }],
      });
      expect(stripeSub.items.data[0]).toMatchObject({ price: expect.objectContaining({ id: tier.yearly.id }), quantity: 3 });
    }
    const features = await Promise.all(tokens.map((t) => authed(s.http().get('/api/subscriptions/features'), t)));
    for (const f of features) expect((f.body.data as { lookup_key: string }[]).map((x) => x.lookup_key).sort()).toEqual(tier.features.map((x) => x.lookup_key).sort());
    const [dead] = await sql<{ n: string }>(`select count(*) as n from webhook_events where state = 'dead'`);
    expect(Number(dead!.n)).toBe(0);
  });
});
