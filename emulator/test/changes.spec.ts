// Changing, canceling, pausing and resuming subscriptions: the resulting state, invoices,
// and the events with their previous_attributes.
import type Stripe from 'stripe';
import { catalog, DAY, harness, type Harness } from './helpers.js';

describe('subscription changes', () => {
  let h: Harness;
  let customer: Stripe.Customer;
  let basic: Stripe.Price;
  let pro: Stripe.Price;
  beforeAll(async () => {
    h = await harness();
    basic = (await catalog(h.stripe, { amount: 1000 })).price;
    pro = (await catalog(h.stripe, { amount: 3000 })).price;
    customer = await h.stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
  });
  afterAll(() => h.stop());

  const newSub = () => h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
  const updatedEvents = async (id: string) => {
    await h.emu.flushWebhooks();
    return h.receiver.events.filter((e) => e.type === 'customer.subscription.updated' && (e.data.object as Stripe.Subscription).id === id);
  };

  it('create_prorations: the price changes now, the proration waits for the next invoice', async () => {
    const { stripe, emu } = h;
    const sub = await newSub();
    emu.advance(10 * DAY);
    const updated = await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0].id, price: pro.id }], proration_behavior: 'create_prorations' });
    expect(updated.items.data[0].price.id).toBe(pro.id);
    expect(updated.latest_invoice).toBe(sub.latest_invoice);
    const [event] = await updatedEvents(sub.id);
    const prev = event.data.previous_attributes as Partial<Stripe.Subscription>;
    expect(prev.items!.data[0].price.id).toBe(basic.id);

    emu.advance(updated.items.data[0].current_period_end - emu.now() + 1);
    const renewal = await stripe.invoices.retrieve((await stripe.subscriptions.retrieve(sub.id)).latest_invoice as string);
    const prorations = renewal.lines.data.filter((l) => l.parent?.subscription_item_details?.proration);
    expect(prorations).toHaveLength(2);
    const credit = prorations.find((l) => l.amount < 0)!;
    const charge = prorations.find((l) => l.amount > 0)!;
    expect(credit.amount).toBeLessThan(0);
    expect(charge.amount).toBeGreaterThan(-credit.amount);
    expect(renewal.total).toBe(3000 + credit.amount + charge.amount);
  });

  it('always_invoice: prorations are invoiced and charged at once', async () => {
    const { stripe, emu } = h;
    const sub = await newSub();
    emu.advance(DAY);
    const updated = await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0].id, quantity: 3 }], proration_behavior: 'always_invoice' });
    expect(updated.items.data[0].quantity).toBe(3);
    expect(updated.latest_invoice).not.toBe(sub.latest_invoice);
    const invoice = await stripe.invoices.retrieve(updated.latest_invoice as string);
    expect(invoice.billing_reason).toBe('subscription_update');
    expect(invoice.status).toBe('paid');
    expect(invoice.amount_paid).toBeGreaterThan(0);
    const [event] = await updatedEvents(sub.id);
    expect((event.data.previous_attributes as any).items.data[0].quantity).toBe(1);
  });

  it('none: no proration lines anywhere', async () => {
    const { stripe, emu } = h;
    const sub = await newSub();
    const updated = await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0].id, price: pro.id, quantity: 2 }], proration_behavior: 'none' });
    expect(updated.latest_invoice).toBe(sub.latest_invoice);
    emu.advance(updated.items.data[0].current_period_end - emu.now() + 1);
    const renewal = await stripe.invoices.retrieve((await stripe.subscriptions.retrieve(sub.id)).latest_invoice as string);
    expect(renewal.lines.data.every((l) => !l.parent?.subscription_item_details?.proration)).toBe(true);
    expect(renewal.total).toBe(6000);
  });

  it('changing the interval resets the billing cycle and invoices at once', async () => {
    const { stripe } = h;
    const yearly = (await catalog(stripe, { amount: 10000, interval: 'year' })).price;
    const sub = await newSub();
    const updated = await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0].id, price: yearly.id }] });
    const item = updated.items.data[0];
    expect(item.price.recurring?.interval).toBe('year');
    expect(item.current_period_end - item.current_period_start).toBeGreaterThanOrEqual(365 * DAY);
    const invoice = await stripe.invoices.retrieve(updated.latest_invoice as string);
    expect(invoice.status).toBe('paid');
    expect(invoice.billing_reason).toBe('subscription_update');
  });

  it('cancel at period end, then resume (undo), then cancel at period end for real', async () => {
    const { stripe, emu } = h;
    const sub = await newSub();
    const end = sub.items.data[0].current_period_end;
    const canceling = await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    expect(canceling).toMatchObject({ status: 'active', cancel_at_period_end: true, cancel_at: end });
    expect(canceling.cancellation_details?.reason).toBe('cancellation_requested');
    const resumed = await stripe.subscriptions.update(sub.id, { cancel_at_period_end: false });
    expect(resumed).toMatchObject({ cancel_at_period_end: false, cancel_at: null, canceled_at: null });
    const events = await updatedEvents(sub.id);
    expect(events[0].data.previous_attributes).toMatchObject({ cancel_at_period_end: false, cancel_at: null });
    expect(events[1].data.previous_attributes).toMatchObject({ cancel_at_period_end: true, cancel_at: end });

    await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    emu.advance(end - emu.now() + 1);
    const ended = await stripe.subscriptions.retrieve(sub.id);
    expect(ended.status).toBe('canceled');
    expect(ended.ended_at).toBe(end);
    await emu.flushWebhooks();
    expect(h.receiver.events.some((e) => e.type === 'customer.subscription.deleted' && (e.data.object as Stripe.Subscription).id === sub.id)).toBe(true);
  });

  it('cancel now with invoice_now and prorate issues a credit and ends the subscription', async () => {
    const { stripe, emu } = h;
    const sub = await newSub();
    emu.advance(15 * DAY);
    const sent = emu.now();
    const canceled = await stripe.subscriptions.cancel(sub.id, { invoice_now: true, prorate: true });
    expect(canceled.status).toBe('canceled');
    // The time of the call: the clock goes on ticking in real time meanwhile.
    expect(canceled.canceled_at).toBeGreaterThanOrEqual(sent);
    expect(canceled.canceled_at).toBeLessThanOrEqual(emu.now());
    const final = await stripe.invoices.retrieve(canceled.latest_invoice as string);
    expect(final.total).toBeLessThan(0);
    expect(final.lines.data[0].parent?.subscription_item_details?.proration).toBe(true);
    // Listing hides canceled subscriptions unless status=all.
    expect((await stripe.subscriptions.list({ customer: customer.id })).data.map((s) => s.id)).not.toContain(sub.id);
    expect((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data.map((s) => s.id)).toContain(sub.id);
    await expect(stripe.subscriptions.cancel(sub.id)).rejects.toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
  });

  it('pause and resume: status paused, events paused/resumed, no renewals while paused', async () => {
    const { stripe, emu } = h;
    const sub = await newSub();
    const paused = await stripe.subscriptions.pause(sub.id);
    expect(paused.status).toBe('paused');
    emu.advance(40 * DAY);
    const still = await stripe.subscriptions.retrieve(sub.id);
    expect(still.status).toBe('paused');
    expect(still.latest_invoice).toBe(sub.latest_invoice);
    const sent = emu.now();
    const resumed = await stripe.subscriptions.resume(sub.id);
    expect(resumed.status).toBe('active');
    expect(resumed.items.data[0].current_period_start).toBeGreaterThanOrEqual(sent);
    expect(resumed.items.data[0].current_period_start).toBeLessThanOrEqual(emu.now());
    await emu.flushWebhooks();
    const types = h.receiver.events.filter((e) => (e.data.object as Stripe.Subscription).id === sub.id).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['customer.subscription.paused', 'customer.subscription.resumed']));
    const toPaused = (await updatedEvents(sub.id)).find((e) => (e.data.object as Stripe.Subscription).status === 'paused')!;
    expect(toPaused.data.previous_attributes).toMatchObject({ status: 'active' });
  });

  it('pause_collection voids renewal invoices while the status stays active', async () => {
    const { stripe, emu } = h;
    const sub = await newSub();
    const updated = await stripe.subscriptions.update(sub.id, { pause_collection: { behavior: 'void' } });
    expect(updated.pause_collection).toEqual({ behavior: 'void', resumes_at: null });
    const [event] = await updatedEvents(sub.id);
    expect(event.data.previous_attributes).toEqual({ pause_collection: null });
    emu.advance(updated.items.data[0].current_period_end - emu.now() + 1);
    const renewed = await stripe.subscriptions.retrieve(sub.id);
    expect(renewed.status).toBe('active');
    expect((await stripe.invoices.retrieve(renewed.latest_invoice as string)).status).toBe('void');
    const unpaused = await stripe.subscriptions.update(sub.id, { pause_collection: '' });
    expect(unpaused.pause_collection).toBeNull();
  });

  it('metadata updates report only the changed keys, and default_tax_rates tax the invoice', async () => {
    const { stripe } = h;
    const rate = await stripe.taxRates.create({ display_name: 'JCT', percentage: 10, inclusive: false, country: 'JP' });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }], default_tax_rates: [rate.id], metadata: { a: '1', b: '2' } });
    const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string);
    expect(invoice.subtotal).toBe(1000);
    expect(invoice.total).toBe(1100);
    expect(invoice.total_taxes?.[0].amount).toBe(100);
    await stripe.subscriptions.update(sub.id, { metadata: { b: '3', c: '4' } });
    const [event] = await updatedEvents(sub.id);
    expect(event.data.previous_attributes).toEqual({ metadata: { b: '2', c: '' } });
    expect((event.data.object as Stripe.Subscription).metadata).toEqual({ a: '1', b: '3', c: '4' });
  });
});
