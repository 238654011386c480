import type Stripe from 'stripe';
import { createTier, type Tier } from '../support/catalog.js';
import { mirrorRow, mirrorView, stripeView } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';
import { expectMirrored, featureKeys, reconcile } from './helpers.js';

const SHOP = 'acct_ScopeShop0001';
const OTHER = 'acct_ScopeOther001';

/**
 * Issue 7, scopes: a run of one merchant (a direct merchant on its connected account), of one
 * account, or of the whole platform repairs what it covers and leaves the rest as it was.
 */
describe('reconcile scopes: merchant, account, platform', () => {
  let s: Stack;
  let platformTier: Tier;
  let shopTier: Tier;
  const subs: Record<string, { sub: Stripe.Subscription; options: Stripe.RequestOptions }> = {};

  async function subscribe(key: string, accountId: string, applicationId: string, price: Stripe.Price, options: Stripe.RequestOptions = {}, customer?: string) {
    const customerId = customer ?? (await s.stripe.customers.create({ metadata: { account_id: accountId } }, options)).id;
    const sub = await s.stripe.subscriptions.create(
      { customer: customerId, items: [{ price: price.id, quantity: 1 }], default_payment_method: 'pm_card_visa', metadata: { account_id: accountId, application_id: applicationId } },
      options,
    );
    subs[key] = { sub, options };
    return sub;
  }

  async function merchant(id: string, account: string, prices: Stripe.Price[]) {
    const m = await s.admin(s.http().post('/admin/merchants')).send({ id, display_name: id, charge_model: 'direct', stripe_account_id: account });
    expect(m.status).toBe(201);
    const a = await s.admin(s.http().post('/admin/applications')).send({ id: `${id}-app`, name: `${id}-app`, merchant_id: id, price_ids: prices.map((p) => p.id), allowed_origins: ['https://app.example.com'] });
    expect(a.status).toBe(201);
  }

  /** Whether the mirror holds Stripe's current state of a subscription. */
  async function repaired(key: string): Promise<boolean> {
    const { sub, options } = subs[key]!;
    const view = await mirrorView(s, sub.id);
    return view !== undefined && JSON.stringify(view) === JSON.stringify(stripeView(await s.stripe.subscriptions.retrieve(sub.id, {}, options)));
  }

  beforeAll(async () => {
    s = await startStack();
    for (const account of [SHOP, OTHER]) await s.connectedAccount(account);
    platformTier = await createTier(s.stripe, 'scoped', ['scoped_reports']);
    shopTier = await createTier(s.stripe, 'shop_plan', ['shop_reports'], { stripeAccount: SHOP });
    const otherTier = await createTier(s.stripe, 'other_plan', ['other_reports'], { stripeAccount: OTHER });
    await merchant('shop', SHOP, [shopTier.monthly]);
    await merchant('other', OTHER, [otherTier.monthly]);
    // Mirrored through webhooks: ACME and BETA on the platform.
    await subscribe('acme', 'ACME', 'default', platformTier.monthly);
    await subscribe('beta', 'BETA', 'default', platformTier.monthly);
    await s.settle();
    await s.advance(3600);

    // Then nothing arrives.
    s.emulator.setWebhooksEnabled(false);
    for (const key of ['acme', 'beta']) {
      const { sub } = subs[key]!;
      await s.stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, quantity: 7 }] });
    }
    await subscribe('acmeSecond', 'ACME', 'default', platformTier.yearly, {}, subs.acme!.sub.customer as string);
    await subscribe('shop', 'SHOPPER', 'shop-app', shopTier.monthly, { stripeAccount: SHOP });
    await subscribe('other', 'OTHER-BUYER', 'other-app', otherTier.monthly, { stripeAccount: OTHER });
    for (const key of Object.keys(subs)) expect({ key, repaired: await repaired(key) }).toEqual({ key, repaired: false });
  });
  afterAll(() => s.close());

  it('merchant: only the direct merchant\'s connected account is re-synced', async () => {
    expect(await featureKeys(s, 'SHOPPER', 'shop-app')).toEqual([]);
    const run = await reconcile(s, { scope: 'merchant', merchant_id: 'shop' });
    expect(run).toMatchObject({ status: 'succeeded', scope: 'merchant', merchant_id: 'shop', account_id: null, created: 1, updated: 0, deleted: 0, flagged: 0, error: null });

    await expectMirrored(s, subs.shop!.sub.id, { stripeAccount: SHOP });
    expect(await mirrorRow(s, subs.shop!.sub.id)).toMatchObject({ account_id: 'SHOPPER', application_id: 'shop-app' });
    expect(await featureKeys(s, 'SHOPPER', 'shop-app')).toEqual(shopTier.features.map((f) => f.lookup_key));
    for (const key of ['acme', 'beta', 'acmeSecond', 'other']) expect({ key, repaired: await repaired(key) }).toEqual({ key, repaired: false });
  });

  it('account: only that account\'s subscriptions, listed by its customer', async () => {
    const run = await reconcile(s, { scope: 'account', account_id: 'ACME' });
    expect(run).toMatchObject({ status: 'succeeded', scope: 'account', account_id: 'ACME', merchant_id: null, created: 1, updated: 1, deleted: 0, flagged: 0, error: null });
    // One listing of ACME's one customer; no catalog sync for an account.
    expect(run.stripe_calls).toBe(1);
    await expectMirrored(s, subs.acme!.sub.id);
    await expectMirrored(s, subs.acmeSecond!.sub.id);
    expect((await mirrorRow(s, subs.acmeSecond!.sub.id))!.account_id).toBe('ACME');
    for (const key of ['beta', 'other']) expect({ key, repaired: await repaired(key) }).toEqual({ key, repaired: false });
  });

  it('platform: every merchant\'s Stripe account', async () => {
    const run = await reconcile(s, { scope: 'platform' });
    expect(run).toMatchObject({ status: 'succeeded', scope: 'platform', created: 1, updated: 1, unchanged: 3, deleted: 0, flagged: 0, error: null });
    for (const { sub, options } of Object.values(subs)) await expectMirrored(s, sub.id, options);
    expect(await mirrorRow(s, subs.other!.sub.id)).toMatchObject({ account_id: 'OTHER-BUYER', application_id: 'other-app' });
    expect(await featureKeys(s, 'BETA')).toEqual(platformTier.features.map((f) => f.lookup_key));
  });

  it('without a scope, merchant_id or account_id alone choose it', async () => {
    const byMerchant = await reconcile(s, { merchant_id: 'other' });
    expect(byMerchant).toMatchObject({ status: 'succeeded', scope: 'merchant', merchant_id: 'other', created: 0, updated: 0, unchanged: 1 });
    const byAccount = await reconcile(s, { account_id: 'BETA' });
    expect(byAccount).toMatchObject({ status: 'succeeded', scope: 'account', account_id: 'BETA', created: 0, updated: 0, unchanged: 1 });
  });
});
