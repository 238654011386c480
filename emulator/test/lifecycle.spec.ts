// Payment outcomes with test cards and the time-driven lifecycle: incomplete expiry,
// renewals, dunning to canceled or unpaid, 3D Secure, trials.
import type Stripe from 'stripe';
import { catalog, control, DAY, harness, HOUR, type Harness } from './helpers.js';

async function customerWithCard(stripe: Stripe, pm: string): Promise<Stripe.Customer> {
  return stripe.customers.create({ email: 'x@example.com', invoice_settings: { default_payment_method: pm } });
}

describe('subscription lifecycle', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ pastDueFinalAction: 'cancel' });
  });
  afterAll(() => h.stop());
  beforeEach(() => h.receiver.clear());

  const eventsFor = async (id: string) => {
    await h.emu.flushWebhooks();
    return h.receiver.events.filter((e) => (e.data.object as { id?: string; subscription?: string; parent?: any }).id === id || (e.data.object as any).parent?.subscription_details?.subscription === id);
  };

  it('a declined first payment leaves the subscription incomplete, then incomplete_expired after 23 h', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe);
    const customer = await customerWithCard(stripe, 'pm_card_chargeDeclined');
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    expect(sub.status).toBe('incomplete');
    const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string);
    expect(invoice.status).toBe('open');
    expect(invoice.attempt_count).toBe(1);

    emu.advance(22 * HOUR);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('incomplete');
    emu.advance(1 * HOUR + 1);
    const expired = await stripe.subscriptions.retrieve(sub.id);
    expect(expired.status).toBe('incomplete_expired');
    expect((await stripe.invoices.retrieve(invoice.id)).status).toBe('void');
    const types = (await eventsFor(sub.id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['invoice.payment_failed', 'customer.subscription.created', 'invoice.voided', 'customer.subscription.deleted']));
  });

  it('error_if_incomplete refuses a declined card with a card_error and creates nothing', async () => {
    const { stripe } = h;
    const { price } = await catalog(stripe);
    const customer = await customerWithCard(stripe, 'pm_card_chargeDeclined');
    await expect(stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], payment_behavior: 'error_if_incomplete' })).rejects.toMatchObject({
      type: 'StripeCardError',
      statusCode: 402,
      code: 'card_declined',
    });
    expect((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toHaveLength(0);
  });

  it('default_incomplete waits for payment; paying the invoice activates it', async () => {
    const { stripe } = h;
    const { price } = await catalog(stripe);
    const customer = await stripe.customers.create({});
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], payment_behavior: 'default_incomplete' });
    expect(sub.status).toBe('incomplete');
    const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string);
    expect(invoice.attempt_count).toBe(0);
    const paid = await stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' });
    expect(paid.status).toBe('paid');
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  });

  it('a requires-action card sends invoice.payment_action_required', async () => {
    const { stripe } = h;
    const { price } = await catalog(stripe);
    const customer = await customerWithCard(stripe, 'pm_card_authenticationRequired');
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    expect(sub.status).toBe('incomplete');
    const types = (await eventsFor(sub.id)).map((e) => e.type);
    expect(types).toContain('invoice.payment_action_required');
    expect(types).not.toContain('invoice.payment_failed');
  });

  it('renews each period with a new paid invoice and sends invoice.upcoming before', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe);
    const customer = await customerWithCard(stripe, 'pm_card_visa');
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    expect(sub.status).toBe('active');
    const end = sub.items.data[0].current_period_end;
    emu.advance(end - emu.now() + 1);
    const renewed = await stripe.subscriptions.retrieve(sub.id);
    expect(renewed.status).toBe('active');
    expect(renewed.items.data[0].current_period_start).toBe(end);
    expect(renewed.latest_invoice).not.toBe(sub.latest_invoice);
    const invoice = await stripe.invoices.retrieve(renewed.latest_invoice as string);
    expect(invoice).toMatchObject({ status: 'paid', billing_reason: 'subscription_cycle', period_start: end });
    const types = (await eventsFor(sub.id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['invoice.upcoming', 'invoice.created', 'invoice.finalized', 'invoice.paid', 'customer.subscription.updated']));
  });

  it('a failed renewal goes past_due, retries on schedule, then cancels (setting: cancel)', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe, { feature: `reports_${Date.now()}` });
    const customer = await customerWithCard(stripe, 'pm_card_visa');
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const set = await control(emu, 'POST', `/_emulator/customers/${customer.id}/card`, { card: '4000000000000341' });
    expect(set.status).toBe(200);
    emu.advance(sub.items.data[0].current_period_end - emu.now() + 1);
    const pastDue = await stripe.subscriptions.retrieve(sub.id);
    expect(pastDue.status).toBe('past_due');
    const invoice = await stripe.invoices.retrieve(pastDue.latest_invoice as string);
    expect(invoice.status).toBe('open');
    expect(invoice.attempt_count).toBe(1);
    expect(invoice.next_payment_attempt).toBe(invoice.created + 3 * DAY);
    // Still entitled while past_due.
    expect((await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data).toHaveLength(1);

    emu.advance(3 * DAY);
    expect((await stripe.invoices.retrieve(invoice.id)).attempt_count).toBe(2);
    emu.advance(5 * DAY);
    expect((await stripe.invoices.retrieve(invoice.id)).attempt_count).toBe(3);
    emu.advance(7 * DAY);
    const last = await stripe.invoices.retrieve(invoice.id);
    expect(last.attempt_count).toBe(4);
    expect(last.next_payment_attempt).toBeNull();
    const ended = await stripe.subscriptions.retrieve(sub.id);
    expect(ended.status).toBe('canceled');
    expect(ended.cancellation_details?.reason).toBe('payment_failed');
    expect((await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data).toHaveLength(0);

    const events = await eventsFor(sub.id);
    expect(events.filter((e) => e.type === 'invoice.payment_failed')).toHaveLength(4);
    const toPastDue = events.find((e) => e.type === 'customer.subscription.updated' && (e.data.object as Stripe.Subscription).status === 'past_due')!;
    expect(toPastDue.data.previous_attributes).toMatchObject({ status: 'active' });
    expect(events.map((e) => e.type)).toContain('customer.subscription.deleted');
  });

  it('a past_due subscription recovers when a retry succeeds', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe);
    const customer = await customerWithCard(stripe, 'pm_card_visa');
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    await control(emu, 'POST', `/_emulator/customers/${customer.id}/card`, { card: '4000000000000341' });
    emu.advance(sub.items.data[0].current_period_end - emu.now() + 1);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
    await control(emu, 'POST', `/_emulator/customers/${customer.id}/card`, { card: '4242424242424242' });
    emu.advance(3 * DAY);
    const recovered = await stripe.subscriptions.retrieve(sub.id);
    expect(recovered.status).toBe('active');
    expect((await stripe.invoices.retrieve(recovered.latest_invoice as string)).status).toBe('paid');
  });

  it('with the unpaid setting, the final failure leaves the subscription unpaid and later invoices as drafts', async () => {
    const { stripe, emu } = h;
    const set = await control(emu, 'POST', '/_emulator/settings', { pastDueFinalAction: 'unpaid' });
    expect(set.body.pastDueFinalAction).toBe('unpaid');
    try {
      const { price } = await catalog(stripe);
      const customer = await customerWithCard(stripe, 'pm_card_chargeCustomerFail');
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], payment_behavior: 'allow_incomplete', trial_period_days: 1 });
      expect(sub.status).toBe('trialing');
      emu.advance(1 * DAY + 1);
      expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
      emu.advance(15 * DAY);
      const unpaid = await stripe.subscriptions.retrieve(sub.id);
      expect(unpaid.status).toBe('unpaid');
      emu.advance(unpaid.items.data[0].current_period_end - emu.now() + 1);
      const next = await stripe.invoices.retrieve((await stripe.subscriptions.retrieve(sub.id)).latest_invoice as string);
      expect(next.status).toBe('draft');
    } finally {
      await control(emu, 'POST', '/_emulator/settings', { pastDueFinalAction: 'cancel' });
    }
  });

  it('trials send trial_will_end 3 days before the end, then charge', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe);
    const customer = await customerWithCard(stripe, 'pm_card_visa');
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 14 });
    expect(sub.status).toBe('trialing');
    expect(sub.trial_end).toBe(sub.trial_start! + 14 * DAY);
    emu.advance(11 * DAY + 1);
    expect((await eventsFor(sub.id)).map((e) => e.type)).toContain('customer.subscription.trial_will_end');
    emu.advance(3 * DAY);
    const active = await stripe.subscriptions.retrieve(sub.id);
    expect(active.status).toBe('active');
    expect((await stripe.invoices.retrieve(active.latest_invoice as string)).amount_paid).toBe(1000);
  });

  it('a trial without a payment method pauses when asked to, and resumes', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe);
    const customer = await stripe.customers.create({});
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      trial_period_days: 7,
      trial_settings: { end_behavior: { missing_payment_method: 'pause' } },
    });
    emu.advance(7 * DAY + 1);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('paused');
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const resumed = await stripe.subscriptions.resume(sub.id, { billing_cycle_anchor: { type: 'now' } });
    expect(resumed.status).toBe('active');
    const types = (await eventsFor(sub.id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['customer.subscription.paused', 'customer.subscription.resumed']));
  });
});
