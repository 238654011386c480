import { issueKey, lookupMap } from '../app-payment-customers/helpers.js';
import { createTier, type Tier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { authed, expectMatchesStripe, ownerToken, setCatalog, urls } from './helpers.js';

const DAY = 86_400;

/**
 * Subscriptions bought with a coupon, as the service mirrors them from Stripe's webhooks: the
 * account's invoices show what the discounts took off (on the invoices the coupon's duration
 * covers, and not after), the change preview bills the discounted next invoice, and the partner
 * lookup sees a fully discounted (free) subscription as a paid contract.
 */
describe('subscriptions with a coupon', () => {
  let s: Stack;
  let tier: Tier;
  beforeAll(async () => {
    s = await startStack();
    tier = await createTier(s.stripe, 'Discounted', ['reports']);
    await setCatalog(s, 'default', [tier.monthly.id, tier.yearly.id]);
    await s.settle();
  });
  afterAll(() => s.close());

  const get = async (account: string, path: string) => authed(s.http().get(`/api/subscriptions${path}`), await ownerToken(account));

  it('a checkout with a promotion code for two months: discounted invoices, then the full price', async () => {
    const coupon = await s.stripe.coupons.create({ percent_off: 25, duration: 'repeating', duration_in_months: 2, name: 'Spring' });
    const promo = await s.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'SPRING25' });
    // A merchant's campaign page opens the checkout itself, with the service's metadata, so that the purchase is the account's.
    const metadata = { account_id: 'COUPON-CO', application_id: 'default' };
    const session = await s.stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: tier.monthly.id, quantity: 2 }],
      client_reference_id: 'COUPON-CO',
      metadata,
      subscription_data: { metadata },
      discounts: [{ promotion_code: promo.id }],
      ...urls,
    });
    expect(session.amount_total).toBe(1500);
    await s.payCheckout(session.id);
    await s.settle();

    const list = await get('COUPON-CO', '');
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    const view = list.body.data[0];
    expect(view.status).toBe('active');
    await expectMatchesStripe(s, view);

    const invoices = async () => (await get('COUPON-CO', '/invoices')).body.data as { billing_reason: string; status: string; total: number; amount_due: number; amount_paid: number }[];
    expect(await invoices()).toEqual([expect.objectContaining({ billing_reason: 'subscription_create', status: 'paid', total: 1500, amount_due: 1500, amount_paid: 1500, amount_remaining: 0 })]);

    // The preview of a quantity change bills the renewal with the discount still on it.
    const preview = await authed(s.http().post(`/api/subscriptions/${view.id}/change/preview`), await ownerToken('COUPON-CO')).send({ quantity: 3, proration_behavior: 'none' });
    expect(preview.status).toBe(200);
    expect(preview.body.next_invoice).toMatchObject({ billed: 'period_end', subtotal: 3000, total: 2250, amount_due: 2250 });

    await s.advance(32 * DAY);
    await s.advance(31 * DAY);
    const totals = (await invoices()).map((i) => [i.billing_reason, i.status, i.total, i.amount_paid]);
    expect(totals).toEqual([
      ['subscription_cycle', 'paid', 2000, 2000],
      ['subscription_cycle', 'paid', 1500, 1500],
      ['subscription_create', 'paid', 1500, 1500],
    ]);
    const after = (await get('COUPON-CO', '')).body.data[0];
    expect(after.status).toBe('active');
    const sub = await expectMatchesStripe(s, after);
    expect(sub.discounts).toEqual([]);
  });

  it('a free (100% off) subscription: paid invoices of 0, active, and a contract in the partner lookup', async () => {
    const { key } = await issueKey(s, 'default', 'coupon-partner');
    const free = await s.stripe.coupons.create({ percent_off: 100, duration: 'forever' });
    const customer = await s.stripe.customers.create({ name: '株式会社無料', metadata: { f_company_id: 'C_FREE' } });
    const sub = await s.stripe.subscriptions.create({ customer: customer.id, items: [{ price: tier.monthly.id, quantity: 3 }], discounts: [{ coupon: free.id }] });
    expect(sub.status).toBe('active');
    await s.settle();

    const contract = (await lookupMap(s, key, ['C_FREE'])).get('C_FREE');
    expect(contract).toMatchObject({ stripe_customer_id: customer.id, stripe_price_id: tier.monthly.id, quantity: 3, status: 'active', contracted: true, stripe_subscription_ids: [sub.id] });

    await s.advance(32 * DAY);
    const renewed = await s.stripe.subscriptions.retrieve(sub.id);
    const invoice = await s.stripe.invoices.retrieve(renewed.latest_invoice as string);
    expect(invoice).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', subtotal: 3000, total: 0 });
    expect((await lookupMap(s, key, ['C_FREE'])).get('C_FREE')).toMatchObject({ status: 'active', contracted: true });
  });
});
