import { createTier, type Tier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { authed, expectError, memberToken, ownerToken, setCatalog, urls } from './helpers.js';

/**
 * The billing page's reads (`catalog`, `invoices`, `account`): what the application sells with
 * names, amounts and intervals, the account's invoices, and whether the token may change billing,
 * through the HTTP API for an owner and a member, against the emulator's real objects.
 */
describe('catalog, invoices and account reads', () => {
  let s: Stack;
  let tier: Tier;
  beforeAll(async () => {
    s = await startStack();
    tier = await createTier(s.stripe, 'Standard', ['reports']);
    await s.settle();
    await setCatalog(s, 'default', [tier.yearly.id, tier.monthly.id]);
  });
  afterAll(() => s.close());

  const get = async (path: string, token: string) => authed(s.http().get(`/api/subscriptions${path}`), token);

  it('lists the catalog with product names, amounts and intervals to any role, monthly before yearly; an archived price is left out', async () => {
    const member = await memberToken('READER');
    const catalog = await get('/catalog', member);
    expect(catalog.status).toBe(200);
    expect(catalog.body).toEqual({
      data: [
        { price_id: tier.monthly.id, product_id: tier.product.id, product_name: 'Standard', product_description: null, nickname: null, currency: 'jpy', unit_amount: 1000, interval: 'month', interval_count: 1, usage_type: 'licensed', lookup_key: tier.monthly.lookup_key },
        { price_id: tier.yearly.id, product_id: tier.product.id, product_name: 'Standard', product_description: null, nickname: null, currency: 'jpy', unit_amount: 10000, interval: 'year', interval_count: 1, usage_type: 'licensed', lookup_key: tier.yearly.lookup_key },
      ],
    });

    // A price of the merchant's Stripe account that the catalog does not list is not shown.
    const other = await s.stripe.prices.create({ product: tier.product.id, currency: 'jpy', unit_amount: 500, recurring: { interval: 'week' } });
    await s.stripe.prices.update(tier.yearly.id, { active: false });
    await s.settle();
    const after = await get('/catalog', member);
    expect(after.body.data.map((p: { price_id: string }) => p.price_id)).toEqual([tier.monthly.id]);
    expect(after.body.data.map((p: { price_id: string }) => p.price_id)).not.toContain(other.id);
    await s.stripe.prices.update(tier.yearly.id, { active: true });
    await s.settle();
  });

  it("lists the account's invoices, newest first, and none of another account's", async () => {
    const owner = await ownerToken('BUYER');
    expect((await get('/invoices', owner)).body).toEqual({ data: [] });
    const checkout = await authed(s.http().post('/api/subscriptions/stripe/checkout-session'), owner).send({ price_id: tier.monthly.id, ...urls, quantity: 2 });
    expect(checkout.status).toBe(200);
    await s.payCheckout(checkout.body.id);
    await s.settle();

    const [subscription] = (await get('', owner)).body.data;
    const invoices = await get('/invoices', await memberToken('BUYER'));
    expect(invoices.status).toBe(200);
    const stripeInvoice = (await s.stripe.invoices.list({ subscription: subscription.id })).data[0]!;
    expect(invoices.body.data).toEqual([
      {
        id: stripeInvoice.id,
        subscription_id: subscription.id,
        status: 'paid',
        billing_reason: 'subscription_create',
        currency: 'jpy',
        total: 2000,
        amount_due: 2000,
        amount_paid: 2000,
        amount_remaining: 0,
        hosted_invoice_url: stripeInvoice.hosted_invoice_url,
        period_start: expect.any(String),
        period_end: expect.any(String),
        created: new Date(stripeInvoice.created * 1000).toISOString(),
      },
    ]);

    // A change billed at once, an hour later, adds an invoice, listed first (invoices of one second are in no particular order).
    await s.advance(3600);
    const change = await authed(s.http().post(`/api/subscriptions/${subscription.id}/change`), owner).send({ interval: 'year' });
    expect(change.status).toBe(200);
    await s.settle();
    const two = (await get('/invoices', owner)).body.data;
    expect(two).toHaveLength(2);
    expect(two[0]).toMatchObject({ billing_reason: 'subscription_update', status: 'paid' });
    expect(two[1].id).toBe(stripeInvoice.id);

    expect((await get('/invoices', await ownerToken('SOMEONE-ELSE'))).body).toEqual({ data: [] });
  });

  it('says who the token is and whether it may change billing', async () => {
    expect((await get('/account', await ownerToken('ACME'))).body).toEqual({ account_id: 'ACME', application_id: 'default', roles: ['owner'], is_owner: true });
    expect((await get('/account', await memberToken('ACME'))).body).toEqual({ account_id: 'ACME', application_id: 'default', roles: ['member'], is_owner: false });
  });

  it('refuses the three reads without a token', async () => {
    for (const path of ['/catalog', '/invoices', '/account']) expectError(await s.http().get(`/api/subscriptions${path}`), 401, 'missing_token');
  });
});
