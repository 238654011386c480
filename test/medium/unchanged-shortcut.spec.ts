import type Stripe from 'stripe';
import { mediumDb, StripeStub, subscription, syncService, type MediumDb } from './support.js';

/**
 * A listing page (reconcile, sync) tells unchanged subscriptions by a hash of their stored object
 * and only moves their version on; changed ones are written whole, older ones left alone.
 */
describe('the unchanged-subscription shortcut of a listing page (medium)', () => {
  let db: MediumDb;
  const { sync } = syncService(new StripeStub());
  const owner = () => ({ merchantId: 'platform', applicationId: 'default' });
  beforeAll(async () => {
    db = await mediumDb();
  });
  afterAll(() => db.close());

  const page = (subs: Stripe.Subscription[], readAt: number) => db.tx((em) => sync.applyListingPage(em, subs, 'platform', owner, readAt));
  const version = async (id: string) => Number((await db.query<{ stripe_version: string }>('select stripe_version from subscriptions where id = ?', [id]))[0]!.stripe_version);

  it('created, then unchanged with its version moved on, then updated when the object changed, stale when older', async () => {
    const a = subscription('sub_same_a', 'cus_same_a');
    const b = subscription('sub_same_b', 'cus_same_b');
    expect(Object.fromEntries(await page([a, b], 1000))).toEqual({ sub_same_a: 'created', sub_same_b: 'created' });
    expect(Object.fromEntries(await page([a, subscription('sub_same_b', 'cus_same_b', { quantity: 2 })], 1010))).toEqual({ sub_same_a: 'unchanged', sub_same_b: 'updated' });
    expect(await version('sub_same_a')).toBe(1010);
    expect(Object.fromEntries(await page([a], 900))).toEqual({ sub_same_a: 'stale' });
    expect(await version('sub_same_a')).toBe(1010);
  });

  it('the same object with its keys in another order (as jsonb hands back a webhook snapshot) is unchanged', async () => {
    const original = subscription('sub_order_keys', 'cus_order_keys');
    await page([original], 2000);
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(original).reverse()))) as Stripe.Subscription;
    expect(Object.fromEntries(await page([reordered], 2010))).toEqual({ sub_order_keys: 'unchanged' });
  });
});
