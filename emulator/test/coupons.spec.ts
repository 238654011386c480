// Coupons, promotion codes and the discounts they make, through the SDK: what a subscription's
// invoices come to with each duration, checkout with discounts, removing a discount, and the
// errors Stripe gives for a bad coupon or code.
import Stripe from 'stripe';
import { catalog, DAY, harness, type Harness, stripeError } from './helpers.js';

describe('coupons and promotion codes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.stop());

  const customer = () => h.stripe.customers.create({ email: 'c@example.com', invoice_settings: { default_payment_method: 'pm_card_visa' } });

  it('creates, reads, updates, lists and deletes coupons with their events', async () => {
    const { stripe, emu, receiver } = h;
    const coupon = await stripe.coupons.create({ percent_off: 25, duration: 'repeating', duration_in_months: 3, name: 'Quarter off', max_redemptions: 5 });
    expect(coupon).toMatchObject({ object: 'coupon', percent_off: 25, amount_off: null, currency: null, duration: 'repeating', duration_in_months: 3, times_redeemed: 0, valid: true });
    expect(coupon.id).toMatch(/^[A-Z0-9]{8}$/);
    const named = await stripe.coupons.create({ id: 'YEN500', amount_off: 500, currency: 'JPY', duration: 'forever' });
    expect(named).toMatchObject({ id: 'YEN500', amount_off: 500, currency: 'jpy', percent_off: null, duration_in_months: null });
    expect((await stripe.coupons.update(named.id, { name: '¥500 off', metadata: { campaign: 'x' } })).name).toBe('¥500 off');
    expect((await stripe.coupons.retrieve('YEN500')).metadata).toEqual({ campaign: 'x' });
    expect((await stripe.coupons.list({ limit: 2 })).data.map((c) => c.id)).toEqual(['YEN500', coupon.id]);
    expect(await stripe.coupons.del(coupon.id)).toEqual(expect.objectContaining({ id: coupon.id, object: 'coupon', deleted: true }));
    expect((await stripeError(stripe.coupons.retrieve(coupon.id))).statusCode).toBe(404);
    await emu.flushWebhooks();
    expect(receiver.types()).toEqual(expect.arrayContaining(['coupon.created', 'coupon.updated', 'coupon.deleted']));
  });

  it('refuses coupons Stripe refuses', async () => {
    const { stripe } = h;
    expect((await stripeError(stripe.coupons.create({ duration: 'once' }))).param).toBe('percent_off');
    expect((await stripeError(stripe.coupons.create({ amount_off: 100 }))).param).toBe('currency');
    expect((await stripeError(stripe.coupons.create({ percent_off: 10, duration: 'repeating' }))).param).toBe('duration_in_months');
    expect((await stripeError(stripe.coupons.create({ percent_off: 120 }))).param).toBe('percent_off');
    expect((await stripeError(stripe.coupons.create({ percent_off: 10, redeem_by: h.emu.now() - 10 }))).param).toBe('redeem_by');
    await stripe.coupons.create({ id: 'TWICE', percent_off: 10 });
    expect((await stripeError(stripe.coupons.create({ id: 'TWICE', percent_off: 10 }))).code).toBe('resource_already_exists');
  });

  it('bills a forever percent_off on every invoice, taxes on what remains', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe, { amount: 1000 });
    const rate = await stripe.taxRates.create({ display_name: 'JCT', percentage: 10, inclusive: false });
    const coupon = await stripe.coupons.create({ percent_off: 20, duration: 'forever' });
    const cus = await customer();
    const sub = await stripe.subscriptions.create({ customer: cus.id, items: [{ price: price.id, quantity: 2 }], default_tax_rates: [rate.id], discounts: [{ coupon: coupon.id }] });
    expect(sub.status).toBe('active');
    expect(sub.discounts).toHaveLength(1);
    const discount = await stripe.subscriptions.retrieve(sub.id, { expand: ['discounts'] }).then((s) => s.discounts[0] as Stripe.Discount);
    expect(discount).toMatchObject({ object: 'discount', subscription: sub.id, customer: cus.id, source: { type: 'coupon', coupon: coupon.id }, end: null });
    const first = await stripe.invoices.retrieve(sub.latest_invoice as string);
    expect(first).toMatchObject({ subtotal: 2000, total: 1760, amount_due: 1760, amount_paid: 1760, total_excluding_tax: 1600, status: 'paid' });
    expect(first.total_discount_amounts).toEqual([{ amount: 400, discount: discount.id }]);
    expect(first.discounts).toEqual([discount.id]);
    expect(first.lines.data[0].discount_amounts).toEqual([{ amount: 400, discount: discount.id }]);
    expect(first.lines.data[0].taxes?.[0].amount).toBe(160);
    expect((await stripe.coupons.retrieve(coupon.id)).times_redeemed).toBe(1);
    emu.advance(32 * DAY);
    const renewal = (await stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0];
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', total: 1760, status: 'paid' });
  });

  it('takes a once coupon off the first invoice only and then removes the discount', async () => {
    const { stripe, emu, receiver } = h;
    const { price } = await catalog(stripe, { amount: 1000 });
    const coupon = await stripe.coupons.create({ amount_off: 300, currency: 'jpy', duration: 'once' });
    const cus = await customer();
    const sub = await stripe.subscriptions.create({ customer: cus.id, items: [{ price: price.id }], discounts: [{ coupon: coupon.id }] });
    expect((await stripe.invoices.retrieve(sub.latest_invoice as string)).total).toBe(700);
    const discountId = sub.discounts[0] as string;
    // The next invoice is previewed without it.
    expect((await stripe.invoices.createPreview({ subscription: sub.id })).total).toBe(1000);
    receiver.clear();
    emu.advance(32 * DAY);
    await emu.flushWebhooks();
    const renewed = await stripe.subscriptions.retrieve(sub.id);
    expect(renewed.discounts).toEqual([]);
    expect((await stripe.invoices.retrieve(renewed.latest_invoice as string)).total).toBe(1000);
    const deleted = receiver.events.find((e) => e.type === 'customer.discount.deleted');
    expect((deleted?.data.object as Stripe.Discount).id).toBe(discountId);
    const updated = receiver.events.find((e) => e.type === 'customer.subscription.updated' && (e.data.object as Stripe.Subscription).id === sub.id);
    expect((updated?.data.previous_attributes as Partial<Stripe.Subscription>).discounts).toEqual([discountId]);
  });

  it('applies a repeating coupon for its months', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe, { amount: 1000 });
    const coupon = await stripe.coupons.create({ percent_off: 50, duration: 'repeating', duration_in_months: 2 });
    const sub = await stripe.subscriptions.create({ customer: (await customer()).id, items: [{ price: price.id }], discounts: [{ coupon: coupon.id }] });
    const totals = [(await stripe.invoices.retrieve(sub.latest_invoice as string)).total];
    for (let i = 0; i < 3; i++) {
      emu.advance(32 * DAY);
      totals.push((await stripe.invoices.retrieve((await stripe.subscriptions.retrieve(sub.id)).latest_invoice as string)).total);
    }
    expect(totals).toEqual([500, 500, 1000, 1000]);
  });

  it('limits a coupon to its products', async () => {
    const { stripe } = h;
    const a = await catalog(stripe, { amount: 1000 });
    const b = await stripe.prices.create({ product_data: { name: 'Add-on' }, currency: 'jpy', unit_amount: 500, recurring: { interval: 'month' } });
    const coupon = await stripe.coupons.create({ percent_off: 10, duration: 'forever', applies_to: { products: [a.product.id] } });
    const sub = await stripe.subscriptions.create({ customer: (await customer()).id, items: [{ price: a.price.id }, { price: b.id }], discounts: [{ coupon: coupon.id }] });
    const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string);
    expect(invoice.total).toBe(1400);
    expect(invoice.lines.data.map((l) => l.discount_amounts?.[0]?.amount)).toEqual([100, 0]);
  });

  it('redeems promotion codes within their limits', async () => {
    const { stripe, emu, receiver } = h;
    const { price } = await catalog(stripe, { amount: 1000 });
    const coupon = await stripe.coupons.create({ percent_off: 10, duration: 'forever' });
    const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'WELCOME10', max_redemptions: 1 });
    expect(promo).toMatchObject({ object: 'promotion_code', code: 'WELCOME10', active: true, promotion: { type: 'coupon', coupon: coupon.id }, times_redeemed: 0 });
    expect((await stripeError(stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'welcome10' }))).code).toBe('resource_already_exists');
    expect((await stripe.promotionCodes.list({ code: 'WELCOME10' })).data.map((p) => p.id)).toEqual([promo.id]);
    const sub = await stripe.subscriptions.create({ customer: (await customer()).id, items: [{ price: price.id }], discounts: [{ promotion_code: promo.id }] });
    expect((await stripe.invoices.retrieve(sub.latest_invoice as string)).total).toBe(900);
    expect((await stripe.promotionCodes.retrieve(promo.id)).times_redeemed).toBe(1);
    const usedUp = await stripeError(stripe.subscriptions.create({ customer: (await customer()).id, items: [{ price: price.id }], discounts: [{ promotion_code: promo.id }] }));
    expect(usedUp.param).toBe('discounts[0][promotion_code]');
    const off = await stripe.promotionCodes.update(promo.id, { active: false, metadata: { why: 'ended' } });
    expect(off.active).toBe(false);
    const cus = await customer();
    const mine = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, customer: cus.id });
    expect(mine.code).toMatch(/^[A-Z0-9]{8}$/);
    expect((await stripeError(stripe.subscriptions.create({ customer: (await customer()).id, items: [{ price: price.id }], discounts: [{ promotion_code: mine.id }] }))).statusCode).toBe(400);
    const big = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, restrictions: { minimum_amount: 2000, minimum_amount_currency: 'jpy' } });
    expect((await stripeError(stripe.subscriptions.create({ customer: cus.id, items: [{ price: price.id }], discounts: [{ promotion_code: big.id }] }))).param).toBe('discounts[0][promotion_code]');
    await emu.flushWebhooks();
    expect(receiver.types()).toEqual(expect.arrayContaining(['promotion_code.created', 'promotion_code.updated', 'customer.discount.created']));
  });

  it('refuses expired and used-up coupons and a currency mismatch', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe, { amount: 1000 });
    const cus = await customer();
    const soon = await stripe.coupons.create({ percent_off: 10, redeem_by: emu.now() + 60 });
    emu.advance(120);
    expect((await stripe.coupons.retrieve(soon.id)).valid).toBe(false);
    const expired = await stripeError(stripe.subscriptions.create({ customer: cus.id, items: [{ price: price.id }], discounts: [{ coupon: soon.id }] }));
    expect(expired).toMatchObject({ code: 'coupon_expired', param: 'discounts[0][coupon]' });
    const usd = await stripe.coupons.create({ amount_off: 100, currency: 'usd' });
    expect((await stripeError(stripe.subscriptions.create({ customer: cus.id, items: [{ price: price.id }], discounts: [{ coupon: usd.id }] }))).param).toBe('discounts[0][coupon]');
    expect((await stripeError(stripe.subscriptions.create({ customer: cus.id, items: [{ price: price.id }], discounts: [{ coupon: 'NOPE' }] }))).statusCode).toBe(404);
  });

  it('adds, replaces and removes a subscription discount on update, and previews with it', async () => {
    const { stripe, receiver, emu } = h;
    const { price } = await catalog(stripe, { amount: 1000 });
    const sub = await stripe.subscriptions.create({ customer: (await customer()).id, items: [{ price: price.id }] });
    const coupon = await stripe.coupons.create({ percent_off: 30, duration: 'forever' });
    const withCoupon = await stripe.subscriptions.update(sub.id, { discounts: [{ coupon: coupon.id }] });
    expect(withCoupon.discounts).toHaveLength(1);
    expect((await stripe.invoices.createPreview({ subscription: sub.id })).total).toBe(700);
    // Keeping the existing discount by id while adding another.
    const more = await stripe.coupons.create({ amount_off: 100, currency: 'jpy', duration: 'forever' });
    const both = await stripe.subscriptions.update(sub.id, { discounts: [{ discount: withCoupon.discounts[0] as string }, { coupon: more.id }] });
    expect(both.discounts[0]).toBe(withCoupon.discounts[0]);
    expect((await stripe.invoices.createPreview({ subscription: sub.id })).total).toBe(600);
    receiver.clear();
    const removed = await stripe.subscriptions.deleteDiscount(sub.id);
    expect(removed).toMatchObject({ object: 'discount', deleted: true, subscription: sub.id });
    expect((await stripe.subscriptions.retrieve(sub.id)).discounts).toEqual([]);
    expect((await stripe.invoices.createPreview({ subscription: sub.id })).total).toBe(1000);
    expect((await stripeError(stripe.subscriptions.deleteDiscount(sub.id))).statusCode).toBe(404);
    expect((await stripeError(stripe.customers.deleteDiscount(sub.customer as string))).statusCode).toBe(404);
    await emu.flushWebhooks();
    expect(receiver.types().filter((t) => t === 'customer.discount.deleted')).toHaveLength(2);
  });

  it('checkout with discounts shows the discounted amounts and makes a discounted subscription', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe, { amount: 1000 });
    const coupon = await stripe.coupons.create({ percent_off: 50, duration: 'forever' });
    const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id } });
    const both = stripeError(
      stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id }], success_url: 'https://x.example', allow_promotion_codes: true, discounts: [{ coupon: coupon.id }] }),
    );
    expect((await both).param).toBe('discounts');
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id, quantity: 2 }],
      success_url: 'https://x.example',
      discounts: [{ promotion_code: promo.id }],
    });
    expect(session).toMatchObject({ amount_subtotal: 2000, amount_total: 1000, total_details: { amount_discount: 1000 }, discounts: [{ coupon: null, promotion_code: promo.id }] });
    const items = await stripe.checkout.sessions.listLineItems(session.id);
    expect(items.data[0]).toMatchObject({ amount_subtotal: 2000, amount_discount: 1000, amount_total: 1000 });
    const paid = await fetch(`${emu.url}/checkout/${session.id}/pay`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ card: '4242424242424242', email: 'buyer@example.com' }) });
    expect(paid.status).toBe(200);
    const done = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription.discounts', 'invoice'] });
    const sub = done.subscription as Stripe.Subscription;
    expect((sub.discounts[0] as Stripe.Discount)).toMatchObject({ checkout_session: session.id, promotion_code: promo.id, source: { coupon: coupon.id } });
    expect(done.invoice).toMatchObject({ total: 1000, amount_paid: 1000 });
  });
});
