import { control, query } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';
import { expectMirrored, reconcile } from './helpers.js';

const ACCOUNT = 'acct_SeededShop0001';
const SEEDED = 450;
const SPREAD_ACCOUNT = 'acct_SpreadShop00001';
const SPREAD = 2_000;
const LARGE_ACCOUNT = 'acct_LargeShop000001';
const LARGE = 6_500;

/**
 * Issue 7, cost: a run lists subscriptions 100 a page with what it needs expanded, so its Stripe
 * calls are the pages plus the catalog's few, never one per subscription.
 */
describe('Stripe calls of a reconcile run', () => {
  let s: Stack;
  let sample: string[];

  beforeAll(async () => {
    s = await startStack();
    const merchant = await s.admin(s.http().post('/admin/merchants')).send({ id: 'seeded-shop', display_name: 'Seeded Shop', charge_model: 'direct', stripe_account_id: ACCOUNT });
    expect(merchant.status).toBe(201);
    const seeded = await control<{ created: number; sample_subscriptions: string[] }>(s, 'POST', '/_emulator/seed', { count: SEEDED, account: ACCOUNT });
    expect(seeded.created).toBe(SEEDED);
    sample = seeded.sample_subscriptions;
  });
  afterAll(() => s.close());

  it(`mirrors ${SEEDED} subscriptions of a connected account in about ${Math.ceil(SEEDED / 100)} listing calls plus the catalog's`, async () => {
    const run = await reconcile(s, { scope: 'merchant', merchant_id: 'seeded-shop' });
    expect(run).toMatchObject({ status: 'succeeded', created: SEEDED, updated: 0, deleted: 0, error: null });
    // Pages, plus the catalog: products, prices, features and each (here one) product's features.
    expect(run.stripe_calls).toBeLessThanOrEqual(Math.ceil(SEEDED / 100) + 5);
    const [{ n }] = await query<{ n: number }>(s, 'select count(*)::int as n from subscriptions where stripe_account = ?', [ACCOUNT]);
    expect(n).toBe(SEEDED);
    const [{ owned }] = await query<{ owned: number }>(s, `select count(*)::int as owned from subscriptions where stripe_account = ? and merchant_id = 'seeded-shop'`, [ACCOUNT]);
    expect(owned).toBe(SEEDED);
    expect(sample.length).toBeGreaterThan(0);
    for (const id of sample) await expectMirrored(s, id, { stripeAccount: ACCOUNT });

    // Nothing changed: the same calls, every subscription unchanged.
    const again = await reconcile(s, { scope: 'platform' });
    expect(again).toMatchObject({ status: 'succeeded', created: 0, updated: 0, unchanged: SEEDED });
    expect(again.stripe_calls).toBeLessThanOrEqual(2 * (Math.ceil(SEEDED / 100) + 5));
  });

  it('lists an account whose subscriptions span a year in windows of created, side by side, each subscription once, within the same calls plus the empty windows', async () => {
    const merchant = await s.admin(s.http().post('/admin/merchants')).send({ id: 'spread-shop', display_name: 'Spread Shop', charge_model: 'direct', stripe_account_id: SPREAD_ACCOUNT });
    expect(merchant.status).toBe(201);
    const seeded = await control<{ created: number; sample_subscriptions: string[] }>(s, 'POST', '/_emulator/seed', { count: SPREAD, account: SPREAD_ACCOUNT, spread_seconds: 365 * 86_400 });
    expect(seeded.created).toBe(SPREAD);
    const run = await reconcile(s, { scope: 'merchant', merchant_id: 'spread-shop' });
    expect(run).toMatchObject({ status: 'succeeded', created: SPREAD, updated: 0, deleted: 0, flagged: 0, error: null });
    // Split into windows (one chain is one page per round trip to Stripe), each one's last page partial, a few found empty.
    expect(run.windows).toBeGreaterThan(1);
    expect(run.empty_windows).toBeLessThan(run.windows);
    expect(run.stripe_calls).toBeLessThanOrEqual(Math.ceil(SPREAD / 100) + run.windows + 5);
    expect(run.requests_per_second).toBeGreaterThan(0);
    const [{ n }] = await query<{ n: number }>(s, 'select count(*)::int as n from subscriptions where stripe_account = ?', [SPREAD_ACCOUNT]);
    expect(n).toBe(SPREAD);
    for (const id of seeded.sample_subscriptions) await expectMirrored(s, id, { stripeAccount: SPREAD_ACCOUNT });
  });

  it('starts a later run of a large account in windows cut from the mirror, none of them empty, within the pages plus one partial page per window', async () => {
    const merchant = await s.admin(s.http().post('/admin/merchants')).send({ id: 'large-shop', display_name: 'Large Shop', charge_model: 'direct', stripe_account_id: LARGE_ACCOUNT });
    expect(merchant.status).toBe(201);
    const seeded = await control<{ created: number }>(s, 'POST', '/_emulator/seed', { count: LARGE, account: LARGE_ACCOUNT, spread_seconds: 365 * 86_400 });
    expect(seeded.created).toBe(LARGE);
    const first = await reconcile(s, { scope: 'merchant', merchant_id: 'large-shop' });
    expect(first).toMatchObject({ status: 'succeeded', created: LARGE, error: null });
    // Two more subscriptions since, one of them newer than anything the mirror knows: the open-ended newest window lists it.
    const later = await control<{ created: number; sample_subscriptions: string[] }>(s, 'POST', '/_emulator/seed', { count: 2, account: LARGE_ACCOUNT });
    expect(later.created).toBe(2);
    const again = await reconcile(s, { scope: 'merchant', merchant_id: 'large-shop' });
    expect(again).toMatchObject({ status: 'succeeded', created: 2, unchanged: LARGE, deleted: 0, flagged: 0, error: null });
    expect(again.windows).toBeGreaterThanOrEqual(2);
    expect(again.empty_windows).toBe(0);
    expect(again.stripe_calls).toBeLessThanOrEqual(Math.ceil((LARGE + 2) / 100) + again.windows + 5);
    for (const id of later.sample_subscriptions) await expectMirrored(s, id, { stripeAccount: LARGE_ACCOUNT });
  });
});
