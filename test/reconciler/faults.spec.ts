import type Stripe from 'stripe';
import { control, mirrorView, query, stripeView } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';
import { onListing, reconcile, snapshotMirror } from './helpers.js';

const SEEDED = 250;

/**
 * Issue 7, Stripe failing under the reconciler: 429s (the emulator's per-second budget) slow a run
 * down without failing it; a 500 storm on the listing fails it cleanly, every page whole or not at
 * all, and the next run completes.
 */
describe('reconcile runs under Stripe faults', () => {
  let s: Stack;

  /** Every subscription Stripe has on the platform, as the mirror keeps them. */
  async function stripeState(): Promise<Map<string, ReturnType<typeof stripeView>>> {
    const all = await s.stripe.subscriptions.list({ status: 'all', limit: 100 }).autoPagingToArray({ limit: 10_000 });
    return new Map(all.map((sub) => [sub.id, stripeView(sub)]));
  }

  async function expectMirrorEqualsStripe(): Promise<void> {
    const stripe = await stripeState();
    const mirrored = await snapshotMirror(s);
    expect([...mirrored.keys()].sort()).toEqual([...stripe.keys()].sort());
    const differing = [...stripe].filter(([id, view]) => JSON.stringify(mirrored.get(id)) !== JSON.stringify(view)).map(([id]) => id);
    expect(differing).toEqual([]);
  }

  beforeAll(async () => {
    // A request budget well above the emulator's limit below, so that 429s really come back.
    s = await startStack({ RECONCILER_MAX_REQUESTS_PER_SECOND: '50' });
    s.emulator.setWebhooksEnabled(false);
    const seeded = await control<{ created: number }>(s, 'POST', '/_emulator/seed', { count: SEEDED });
    expect(seeded.created).toBe(SEEDED);
  });
  afterAll(() => s.close());
  afterEach(() => s.emulator.clearFaults());

  it('429s slow the run down (the listing over its per-second budget, a catalog call once); it completes with every subscription mirrored', async () => {
    const unlimited = 3 /* pages */ + 4; /* catalog: products, prices, features, one product's features */
    s.emulator.setFaults({ api: [{ path: '/v1/prices', method: 'GET', status: 429, count: 1 }, { path: '/v1/subscriptions', method: 'GET', rate_limit: 1 }] });
    const run = await reconcile(s);
    expect(run).toMatchObject({ status: 'succeeded', created: SEEDED, updated: 0, error: null });
    // The refused attempts are counted too: more calls than a run that was never limited makes.
    expect(run.stripe_calls).toBeGreaterThan(unlimited);
    s.emulator.clearFaults();
    await expectMirrorEqualsStripe();
  });

  it('a 500 storm on GET /v1/subscriptions fails the run with its error; no subscription is half applied; the next run completes', async () => {
    // Changes on every page, none delivered.
    const listed = await s.stripe.subscriptions.list({ status: 'all', limit: 100 }).autoPagingToArray({ limit: 10_000 });
    const changed: Stripe.Subscription[] = [];
    for (let i = 0; i < listed.length; i += 25) {
      const sub = listed[i]!;
      changed.push(await s.stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, quantity: 3 + (i % 5) }], proration_behavior: 'none' }));
    }
    await s.stripe.subscriptions.cancel(listed[150]!.id);
    const before = await snapshotMirror(s);

    // The first page comes back; then every listing answers 500 (the SDK's own retries included).
    const restore = onListing(s, (n) => {
      if (n === 1) s.emulator.setFaults({ api: [{ path: '/v1/subscriptions', method: 'GET', status: 500 }] });
    });
    let run;
    try {
      run = await reconcile(s);
    } finally {
      restore();
    }
    expect(run).toMatchObject({ status: 'failed', deleted: 0, flagged: 0 });
    expect(run.error).toMatch(/^stripe_unavailable: /);
    expect(run.finished_at).not.toBeNull();
    const stored = await s.admin(s.http().get(`/admin/reconcile-runs/${run.id}`)).expect(200);
    expect(stored.body).toEqual(run);

    s.emulator.clearFaults();
    const stripe = await stripeState();
    const after = await snapshotMirror(s);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const repaired: string[] = [];
    const untouched: string[] = [];
    const neither: string[] = [];
    for (const [id, view] of after) {
      const now = JSON.stringify(view);
      if (now === JSON.stringify(stripe.get(id))) repaired.push(id);
      if (now === JSON.stringify(before.get(id))) untouched.push(id);
      if (now !== JSON.stringify(stripe.get(id)) && now !== JSON.stringify(before.get(id))) neither.push(id);
    }
    expect(neither).toEqual([]);
    // The first page was applied whole, the rest not at all.
    const changedIds = new Set([...changed.map((c) => c.id), listed[150]!.id]);
    const changedOnFirstPage = listed.slice(0, 100).filter((sub) => changedIds.has(sub.id)).length;
    expect(run.updated).toBe(changedOnFirstPage);
    expect([...changedIds].filter((id) => repaired.includes(id) && !untouched.includes(id))).toHaveLength(changedOnFirstPage);
    expect(changedIds.size).toBeGreaterThan(changedOnFirstPage);

    const next = await reconcile(s);
    expect(next).toMatchObject({ status: 'succeeded', created: 0, updated: changedIds.size - changedOnFirstPage, error: null });
    await expectMirrorEqualsStripe();
    const [canceled] = await query<{ status: string }>(s, 'select status from subscriptions where id = ?', [listed[150]!.id]);
    expect(canceled!.status).toBe('canceled');
    expect(await mirrorView(s, changed[0]!.id)).toEqual(stripeView(await s.stripe.subscriptions.retrieve(changed[0]!.id)));
  });
});
