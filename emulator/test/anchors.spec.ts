// Billing cycle anchors, through the SDK: `billing_cycle_anchor` and `billing_cycle_anchor_config` on
// creation (a short, prorated first period up to the anchor, full periods after it), and
// `billing_cycle_anchor[type]=now` on update (a new period invoiced at once, the unused time credited).
import Stripe from 'stripe';
import { DAY, type Harness, harness, stripeError } from './helpers.js';

const utc = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h) / 1000;

describe('billing cycle anchors', () => {
  let h: Harness;
  let monthly: Stripe.Price;
  let weekly: Stripe.Price;
  let customer: Stripe.Customer;
  beforeAll(async () => {
    // 10 January 2027, 00:00 UTC: the month's boundaries are known.
    h = await harness({ startTime: utc(2027, 1, 10) });
    const product = await h.stripe.products.create({ name: 'Pro' });
    monthly = await h.stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 3100, recurring: { interval: 'month' } });
    weekly = await h.stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 700, recurring: { interval: 'week' } });
    customer = await h.stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
  });
  afterAll(() => h.stop());

  const invoiceOf = async (sub: Stripe.Subscription) => h.stripe.invoices.retrieve(sub.latest_invoice as string);

  it('billing_cycle_anchor: the first period ends at the anchor and is billed prorated; full periods follow from it', async () => {
    const { stripe, emu } = h;
    const anchor = utc(2027, 2, 1);
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }], billing_cycle_anchor: anchor });
    expect(sub).toMatchObject({ status: 'active', billing_cycle_anchor: anchor, billing_cycle_anchor_config: null });
    expect(sub.items.data[0]).toMatchObject({ current_period_start: sub.start_date, current_period_end: anchor });
    const first = await invoiceOf(sub);
    // The full period ending at the anchor is January (31 days).
    const expected = Math.round((3100 * (anchor - sub.start_date)) / (31 * DAY));
    expect(first).toMatchObject({ billing_reason: 'subscription_create', status: 'paid', amount_due: expected });
    expect(first.lines.data[0]).toMatchObject({ amount: expected, period: { start: sub.start_date, end: anchor }, parent: { subscription_item_details: { proration: true } } });

    emu.advance(anchor - emu.now() + 1);
    const renewed = await stripe.subscriptions.retrieve(sub.id);
    expect(renewed.items.data[0]).toMatchObject({ current_period_start: anchor, current_period_end: utc(2027, 3, 1) });
    expect(await invoiceOf(renewed)).toMatchObject({ billing_reason: 'subscription_cycle', amount_due: 3100 });
  });

  it('proration_behavior=none: the short first period is free', async () => {
    const { stripe, emu } = h;
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }], billing_cycle_anchor: emu.now() + 5 * DAY, proration_behavior: 'none' });
    expect(await invoiceOf(sub)).toMatchObject({ amount_due: 0, status: 'paid' });
    expect(sub.status).toBe('active');
  });

  it('billing_cycle_anchor_config: the next day_of_month at the given time, clamped to short months and back to the day after', async () => {
    const { stripe, emu } = h;
    // The clock is now at 1 February 2027 (the first test's renewal): the next 31st at 09:00 is 28 February's.
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }], billing_cycle_anchor_config: { day_of_month: 31, hour: 9 } });
    expect(sub.billing_cycle_anchor_config).toEqual({ day_of_month: 31, hour: 9, minute: null, month: null, second: null });
    const anchor = sub.billing_cycle_anchor;
    expect(new Date(anchor * 1000).toISOString().slice(0, 13)).toBe('2027-02-28T09');
    expect(sub.items.data[0].current_period_end).toBe(anchor);
    emu.advance(anchor - emu.now() + 1);
    const renewed = await stripe.subscriptions.retrieve(sub.id);
    expect(renewed.items.data[0]).toMatchObject({ current_period_start: anchor, current_period_end: anchor + 31 * DAY });
    expect(await invoiceOf(renewed)).toMatchObject({ amount_due: 3100 });
  });

  it('refuses an anchor in the past, beyond the next natural billing date, both forms at once, and a config on a weekly price', async () => {
    const { stripe, emu } = h;
    const base = { customer: customer.id, items: [{ price: monthly.id }] };
    expect((await stripeError(stripe.subscriptions.create({ ...base, billing_cycle_anchor: emu.now() - 10 }))).param).toBe('billing_cycle_anchor');
    const late = await stripeError(stripe.subscriptions.create({ ...base, billing_cycle_anchor: emu.now() + 40 * DAY }));
    expect(late).toMatchObject({ statusCode: 400, param: 'billing_cycle_anchor' });
    expect(late.message).toMatch(/^billing_cycle_anchor cannot be later than next natural billing date \(\d+\) for plan/);
    expect((await stripeError(stripe.subscriptions.create({ ...base, billing_cycle_anchor: emu.now() + DAY, billing_cycle_anchor_config: { day_of_month: 1 } }))).statusCode).toBe(400);
    expect((await stripeError(stripe.subscriptions.create({ customer: customer.id, items: [{ price: weekly.id }], billing_cycle_anchor_config: { day_of_month: 1 } }))).param).toBe('billing_cycle_anchor_config');
  });

  it('billing_cycle_anchor[type]=now on update: a new period from now, invoiced at once with the unused time credited; none: no credit; unchanged: nothing', async () => {
    const { stripe, emu } = h;
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id, quantity: 2 }] });
    const p = sub.items.data[0];
    emu.advance(10 * DAY);
    expect((await stripe.subscriptions.update(sub.id, { billing_cycle_anchor: { type: 'unchanged' } })).latest_invoice).toBe(sub.latest_invoice);

    const at = emu.now();
    const reset = await stripe.subscriptions.update(sub.id, { billing_cycle_anchor: { type: 'now' }, proration_date: at });
    expect(reset.billing_cycle_anchor).toBe(at);
    expect(reset.items.data[0]).toMatchObject({ current_period_start: at });
    expect(reset.items.data[0].current_period_end).toBeGreaterThan(at + 27 * DAY);
    const invoice = await invoiceOf(reset);
    const credit = -Math.round((6200 * (p.current_period_end - at)) / (p.current_period_end - p.current_period_start));
    expect(invoice).toMatchObject({ billing_reason: 'subscription_update', status: 'paid', amount_due: 6200 + credit });
    expect(invoice.lines.data.map((l) => [l.amount, l.parent?.subscription_item_details?.proration])).toEqual([
      [credit, true],
      [6200, false],
    ]);

    emu.advance(DAY);
    const none = await stripe.subscriptions.update(sub.id, { billing_cycle_anchor: { type: 'now' }, proration_behavior: 'none' });
    expect((await invoiceOf(none)).lines.data.map((l) => l.amount)).toEqual([6200]);
  });
});
