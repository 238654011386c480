// `cancel_at` through the SDK: this API version's named values (min_period_end, max_period_end,
// max_billed_until) on creation and update, and the credit a mid-period `cancel_at` makes for the
// time after it, per proration_behavior: carried to a final invoice at cancel_at, invoiced at once, or none.
import type Stripe from 'stripe';
import { DAY, harness, type Harness } from './helpers.js';

describe('cancel_at', () => {
  let h: Harness;
  let price: Stripe.Price;
  let customer: Stripe.Customer;
  beforeAll(async () => {
    h = await harness();
    const product = await h.stripe.products.create({ name: 'Pro' });
    price = await h.stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 3000, recurring: { interval: 'month' } });
    customer = await h.stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
  });
  afterAll(() => h.stop());

  const subscribe = () => h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });

  it('named values end the subscription at its period end, on creation and on update', async () => {
    const { stripe } = h;
    const created = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], cancel_at: 'max_period_end' });
    expect(created).toMatchObject({ cancel_at: created.items.data[0].current_period_end, cancel_at_period_end: true });
    for (const named of ['min_period_end', 'max_period_end', 'max_billed_until'] as const) {
      const sub = await subscribe();
      const updated = await stripe.subscriptions.update(sub.id, { cancel_at: named });
      expect([named, updated.cancel_at, updated.cancel_at_period_end]).toEqual([named, sub.items.data[0].current_period_end, true]);
      expect(updated.latest_invoice).toBe(sub.latest_invoice);
    }
    await expect(stripe.subscriptions.update((await subscribe()).id, { cancel_at: 'whenever' as Stripe.SubscriptionUpdateParams.CancelAt })).rejects.toMatchObject({ statusCode: 400, param: 'cancel_at' });
  });

  it('a mid-period cancel_at credits the time after it on a final invoice at cancel_at (create_prorations)', async () => {
    const { stripe, emu } = h;
    const sub = await subscribe();
    const { current_period_start: start, current_period_end: end } = sub.items.data[0];
    const cancelAt = emu.now() + 10 * DAY;
    const updated = await stripe.subscriptions.update(sub.id, { cancel_at: cancelAt });
    expect(updated).toMatchObject({ cancel_at: cancelAt, cancel_at_period_end: false, status: 'active', latest_invoice: sub.latest_invoice });

    emu.advance(cancelAt - emu.now() + 1);
    const ended = await stripe.subscriptions.retrieve(sub.id);
    expect(ended.status).toBe('canceled');
    const final = await stripe.invoices.retrieve(ended.latest_invoice as string);
    const credit = -Math.round((3000 * (end - cancelAt)) / (end - start));
    expect(final).toMatchObject({ status: 'paid', total: credit, amount_due: 0 });
    expect(final.lines.data).toEqual([expect.objectContaining({ amount: credit, period: { start: cancelAt, end }, parent: expect.objectContaining({ subscription_item_details: expect.objectContaining({ proration: true }) }) })]);
  });

  it('always_invoice credits at once; none makes no credit; moving cancel_at withdraws a credit still pending', async () => {
    const { stripe, emu } = h;
    const now = await subscribe();
    const atOnce = await stripe.subscriptions.update(now.id, { cancel_at: emu.now() + 5 * DAY, proration_behavior: 'always_invoice' });
    const credited = await stripe.invoices.retrieve(atOnce.latest_invoice as string);
    expect(credited.billing_reason).toBe('subscription_update');
    expect(credited.lines.data.map((l) => l.amount < 0)).toEqual([true]);

    const none = await subscribe();
    await stripe.subscriptions.update(none.id, { cancel_at: emu.now() + 5 * DAY, proration_behavior: 'none' });
    const moved = await subscribe();
    await stripe.subscriptions.update(moved.id, { cancel_at: emu.now() + 3 * DAY });
    await stripe.subscriptions.update(moved.id, { cancel_at: '' });
    await stripe.subscriptions.update(moved.id, { cancel_at: emu.now() + 4 * DAY, proration_behavior: 'none' });
    emu.advance(6 * DAY);
    for (const sub of [none, moved]) {
      const ended = await stripe.subscriptions.retrieve(sub.id);
      expect([sub.id, ended.status, ended.latest_invoice]).toEqual([sub.id, 'canceled', sub.latest_invoice]);
    }
  });
});
