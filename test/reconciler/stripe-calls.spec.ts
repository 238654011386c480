import { control, query } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';
import { expectMirrored, reconcile } from './helpers.js';

const ACCOUNT = 'acct_SeededShop0001';
const SEEDED = 450;

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
});
