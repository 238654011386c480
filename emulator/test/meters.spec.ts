// Billing meters and usage-based billing, through the SDK: meters and their events, meter events
// aggregated by sum / count / last, metered prices that need a meter, and the usage of a period
// billed on the renewal invoice at its end (previews show the usage so far).
import Stripe from 'stripe';
import { DAY, type Harness, harness, stripeError } from './helpers.js';

describe('billing meters and metered usage', () => {
  let h: Harness;
  let seq = 0;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.stop());
  beforeEach(() => h.receiver.clear());

  const meter = (formula: 'sum' | 'count' | 'last', extra: Partial<Stripe.Billing.MeterCreateParams> = {}) =>
    h.stripe.billing.meters.create({ display_name: `API calls ${formula}`, event_name: `api_calls_${formula}_${++seq}`, default_aggregation: { formula }, ...extra });

  it('creates, updates, lists, deactivates and reactivates a meter, with its billing.meter.* events', async () => {
    const { stripe, emu, receiver } = h;
    const m = await meter('sum', { customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' }, value_settings: { event_payload_key: 'calls' } });
    expect(m).toMatchObject({
      object: 'billing.meter',
      status: 'active',
      default_aggregation: { formula: 'sum' },
      customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
      value_settings: { event_payload_key: 'calls' },
      status_transitions: { deactivated_at: null },
    });
    expect(m.id).toMatch(/^mtr_/);
    expect((await stripe.billing.meters.retrieve(m.id)).event_name).toBe(m.event_name);
    expect((await stripe.billing.meters.update(m.id, { display_name: 'Calls' })).display_name).toBe('Calls');

    const before = emu.now();
    const off = await stripe.billing.meters.deactivate(m.id);
    expect(off.status).toBe('inactive');
    // The emulator's clock runs with real time between the two reads.
    expect(off.status_transitions.deactivated_at).toBeGreaterThanOrEqual(before);
    expect(off.status_transitions.deactivated_at).toBeLessThanOrEqual(emu.now());
    expect((await stripeError(stripe.billing.meters.deactivate(m.id))).statusCode).toBe(400);
    const inactive = await stripe.billing.meters.list({ status: 'inactive' });
    expect(inactive.data.map((x) => x.id)).toContain(m.id);
    expect((await stripe.billing.meters.list({ status: 'active' })).data.map((x) => x.id)).not.toContain(m.id);
    expect((await stripe.billing.meters.reactivate(m.id)).status).toBe('active');

    await emu.flushWebhooks();
    const mine = receiver.events.filter((e) => (e.data.object as { id?: string }).id === m.id);
    expect(mine.map((e) => e.type)).toEqual(['billing.meter.created', 'billing.meter.updated', 'billing.meter.deactivated', 'billing.meter.reactivated']);
    expect((mine[1].data as { previous_attributes?: unknown }).previous_attributes).toMatchObject({ display_name: 'API calls sum' });
  });

  it('refuses a second active meter of the same event_name, and a missing formula', async () => {
    const m = await meter('sum');
    const dup = await stripeError(h.stripe.billing.meters.create({ display_name: 'x', event_name: m.event_name, default_aggregation: { formula: 'sum' } }));
    expect(dup.param).toBe('event_name');
    const missing = await stripeError(h.stripe.billing.meters.create({ display_name: 'x', event_name: 'y' } as Stripe.Billing.MeterCreateParams));
    expect(missing).toMatchObject({ code: 'parameter_missing', param: 'default_aggregation' });
  });

  it('a metered price needs an existing meter (recurring[meter]), a licensed price none', async () => {
    const { stripe } = h;
    const product = await stripe.products.create({ name: 'Usage' });
    const without = await stripeError(stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 10, recurring: { interval: 'month', usage_type: 'metered' } }));
    expect(without).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', param: 'recurring[meter]' });
    const unknown = await stripeError(stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 10, recurring: { interval: 'month', usage_type: 'metered', meter: 'mtr_nope' } }));
    expect(unknown).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'recurring[meter]' });
    const m = await meter('sum');
    const licensed = await stripeError(stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 10, recurring: { interval: 'month', meter: m.id } }));
    expect(licensed.param).toBe('recurring[meter]');
    const price = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 10, recurring: { interval: 'month', usage_type: 'metered', meter: m.id } });
    expect(price.recurring).toMatchObject({ usage_type: 'metered', meter: m.id });
  });

  it('meter events: validated, deduplicated by identifier, aggregated by sum / count / last in event summaries', async () => {
    const { stripe, emu } = h;
    const customer = await stripe.customers.create({ email: 'usage@example.com' });
    const sum = await meter('sum');
    const count = await meter('count');
    const last = await meter('last');
    const t0 = Math.floor(emu.now() / 3600) * 3600 - 2 * 3600;
    const send = (m: Stripe.Billing.Meter, value: string, timestamp: number, identifier?: string) =>
      stripe.billing.meterEvents.create({ event_name: m.event_name, payload: { stripe_customer_id: customer.id, value }, timestamp, ...(identifier ? { identifier } : {}) });
    const ev = await send(sum, '5', t0 + 10, `id-${seq}-a`);
    expect(ev).toMatchObject({ object: 'billing.meter_event', event_name: sum.event_name, identifier: `id-${seq}-a`, timestamp: t0 + 10, payload: { stripe_customer_id: customer.id, value: '5' } });
    await send(sum, '7', t0 + 3600 + 20);
    expect((await stripeError(send(sum, '9', t0 + 30, `id-${seq}-a`))).param).toBe('identifier');
    for (const [v, t] of [['3', t0 + 5], ['8', t0 + 3700], ['4', t0 + 100]] as const) {
      await send(count, v, t);
      await send(last, v, t);
    }

    const window = { customer: customer.id, start_time: t0, end_time: t0 + 2 * 3600 };
    const one = async (m: Stripe.Billing.Meter) => (await stripe.billing.meters.listEventSummaries(m.id, window)).data;
    expect((await one(sum)).map((s) => s.aggregated_value)).toEqual([12]);
    expect((await one(count))[0]).toMatchObject({ object: 'billing.meter_event_summary', aggregated_value: 3, meter: count.id, start_time: t0, end_time: t0 + 7200 });
    expect((await one(last))[0].aggregated_value).toBe(8);
    const hourly = await stripe.billing.meters.listEventSummaries(sum.id, { ...window, value_grouping_window: 'hour' });
    expect(hourly.data.map((s) => [s.start_time, s.aggregated_value])).toEqual([
      [t0 + 3600, 7],
      [t0, 5],
    ]);

    expect((await stripeError(stripe.billing.meterEvents.create({ event_name: 'no_such_meter', payload: { stripe_customer_id: customer.id, value: '1' } }))).param).toBe('event_name');
    expect((await stripeError(stripe.billing.meterEvents.create({ event_name: sum.event_name, payload: { value: '1' } }))).param).toBe('payload[stripe_customer_id]');
    expect((await stripeError(stripe.billing.meterEvents.create({ event_name: sum.event_name, payload: { stripe_customer_id: customer.id, value: 'many' } }))).param).toBe('payload[value]');
    expect((await stripeError(send(sum, '1', emu.now() - 40 * DAY))).param).toBe('timestamp');
  });

  it('bills the usage of the ended period on the renewal invoice, with the fixed item for the new period; the preview shows the usage so far', async () => {
    const { stripe, emu } = h;
    const m = await meter('sum');
    const product = await stripe.products.create({ name: 'Inbox manager' });
    const fixed = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 3000, recurring: { interval: 'month' } });
    const metered = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 10, recurring: { interval: 'month', usage_type: 'metered', meter: m.id } });
    const customer = await stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const quantityOnMetered = await stripeError(stripe.subscriptions.create({ customer: customer.id, items: [{ price: metered.id, quantity: 2 }] }));
    expect(quantityOnMetered.param).toBe('items[0]');

    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: fixed.id, quantity: 1 }, { price: metered.id }] });
    const meteredItem = sub.items.data.find((i) => i.price.id === metered.id)!;
    expect(meteredItem.quantity).toBeUndefined();
    expect(meteredItem.plan).toMatchObject({ usage_type: 'metered', meter: m.id });
    const first = await stripe.invoices.retrieve(sub.latest_invoice as string);
    expect(first.amount_due).toBe(3000);
    expect(first.lines.data.find((l) => l.pricing?.price_details?.price === metered.id)).toMatchObject({ amount: 0, quantity: 0 });

    const start = meteredItem.current_period_start;
    const end = meteredItem.current_period_end;
    for (const value of ['120', '30']) await stripe.billing.meterEvents.create({ event_name: m.event_name, payload: { stripe_customer_id: customer.id, value } });
    const preview = await stripe.invoices.createPreview({ subscription: sub.id });
    expect(preview.lines.data.find((l) => l.pricing?.price_details?.price === metered.id)).toMatchObject({ quantity: 150, amount: 1500, period: { start, end } });
    expect(preview.amount_due).toBe(4500);

    emu.advance(end - emu.now() - 60);
    await stripe.billing.meterEvents.create({ event_name: m.event_name, payload: { stripe_customer_id: customer.id, value: '50' } });
    emu.advance(61);
    // Usage after the period end belongs to the next period.
    await stripe.billing.meterEvents.create({ event_name: m.event_name, payload: { stripe_customer_id: customer.id, value: '999' } });
    const renewed = await stripe.subscriptions.retrieve(sub.id);
    const invoice = await stripe.invoices.retrieve(renewed.latest_invoice as string);
    expect(invoice).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', amount_paid: 5000 });
    const fixedLine = invoice.lines.data.find((l) => l.pricing?.price_details?.price === fixed.id)!;
    const usageLine = invoice.lines.data.find((l) => l.pricing?.price_details?.price === metered.id)!;
    expect(fixedLine).toMatchObject({ amount: 3000, quantity: 1, period: { start: end } });
    expect(usageLine).toMatchObject({ amount: 2000, quantity: 200, period: { start, end } });
  });
});
