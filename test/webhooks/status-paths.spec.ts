import type Stripe from 'stripe';
import { createTier, type Tier } from '../support/catalog.js';
import { accessFromStripe, control, DAY, mirrorRow, mirrorView, query, seconds, stripeView } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Every status path of a Stripe subscription (seed 002) reaches the mirror through signed
 * webhooks alone, with the access the policy grants: each step is made in the emulator as Stripe
 * would make it, the deliveries are flushed and the worker drained, and the mirrored row is
 * compared with Stripe's own object.
 */
describe('subscription status paths are mirrored with the right access_until', () => {
  let s: Stack;
  let tier: Tier;
  let n = 0;

  beforeAll(async () => {
    s = await startStack({}, { pastDueFinalAction: 'unpaid' });
    tier = await createTier(s.stripe, 'status', ['status_feature']);
  });
  afterAll(() => s.close());

  afterEach(async () => {
    // Every delivered event was applied: none failed, none is dead or waiting.
    const states = await query<{ state: string }>(s, 'select distinct state from webhook_events');
    expect(states.map((r) => r.state)).toEqual(['processed']);
  });

  const now = () => s.emulator.now();

  /** A customer of a new account, with a card (a `pm_card_*` test id). */
  async function customer(pm: string): Promise<{ account: string; customer: Stripe.Customer }> {
    const account = `ACC_STATUS_${++n}`;
    const created = await s.stripe.customers.create({ email: `${account.toLowerCase()}@example.com`, metadata: { account_id: account }, payment_method: pm });
    return { account, customer: created };
  }

  /** A subscription created through the API with the customer's card (charged at once). */
  async function subscribe(pm = 'pm_card_visa', quantity = 1): Promise<{ account: string; customer: Stripe.Customer; sub: Stripe.Subscription }> {
    const c = await customer(pm);
    const sub = await s.stripe.subscriptions.create({
      customer: c.customer.id,
      items: [{ price: tier.monthly.id, quantity }],
      metadata: { account_id: c.account, application_id: 'default' },
    });
    await s.settle();
    return { ...c, sub };
  }

  /** The mirror equals Stripe's object on every field it keeps; returns both. */
  async function expectMirrorsStripe(id: string, graceDays = 7) {
    const stripeSub = await s.stripe.subscriptions.retrieve(id);
    expect(await mirrorView(s, id)).toEqual(stripeView(stripeSub));
    const row = (await mirrorRow(s, id))!;
    expect(seconds(row.access_until)).toBe(await accessFromStripe(s.stripe, stripeSub, graceDays));
    return { stripeSub, row };
  }

  async function invoiceRows(subscriptionId: string) {
    return query<{ id: string; status: string; attempt_count: number; billing_reason: string; period_end: Date }>(
      s,
      'select id, status, attempt_count, billing_reason, period_end from invoices where subscription_id = ? order by stripe_created, id',
      [subscriptionId],
    );
  }

  async function failNextPayments(customerId: string) {
    await control(s, 'POST', `/_emulator/customers/${customerId}/card`, { card: '4000000000000341' });
  }

  /** Advances to just past the subscription's current period end (the renewal runs there). */
  async function advanceToRenewal(sub: Stripe.Subscription) {
    const fresh = await s.stripe.subscriptions.retrieve(sub.id);
    const end = Math.max(...fresh.items.data.map((i) => i.current_period_end));
    await s.advance(end - now() + 60);
    return end;
  }

  async function processedEventCount() {
    const [row] = await query<{ n: string }>(s, 'select count(*) as n from webhook_events');
    return Number(row!.n);
  }

  it('a failed first payment: incomplete without access, then incomplete_expired 23 hours later', async () => {
    const { account, sub } = await subscribe('pm_card_chargeDeclined');
    expect(sub.status).toBe('incomplete');

    const { row } = await expectMirrorsStripe(sub.id);
    expect(row).toMatchObject({ status: 'incomplete', account_id: account, application_id: 'default', access_until: null });
    expect(await invoiceRows(sub.id)).toEqual([expect.objectContaining({ id: sub.latest_invoice, status: 'open', attempt_count: 1 })]);

    await s.advance(23 * 3600);
    const { stripeSub, row: expired } = await expectMirrorsStripe(sub.id);
    expect(stripeSub.status).toBe('incomplete_expired');
    expect(expired).toMatchObject({ status: 'incomplete_expired', access_until: null });
    expect(seconds(expired.ended_at)).toBe(stripeSub.ended_at);
    expect(await invoiceRows(sub.id)).toEqual([expect.objectContaining({ status: 'void' })]);
  });

  it('a first payment that needs 3-D Secure (4000002500003155): invoice.payment_action_required is mirrored, invoice open, subscription incomplete, no access', async () => {
    const account = `ACC_STATUS_${++n}`;
    const session = await s.stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: tier.monthly.id, quantity: 1 }],
      customer_email: `${account.toLowerCase()}@example.com`,
      client_reference_id: account,
      metadata: { account_id: account, application_id: 'default' },
      subscription_data: { metadata: { account_id: account, application_id: 'default' } },
      success_url: 'http://localhost:3000/ok',
      cancel_url: 'http://localhost:3000/cancel',
    });
    expect((await s.payCheckout(session.id, '4000002500003155')).status).toBe('requires_action');
    await s.settle();

    const subscriptionId = (await s.stripe.checkout.sessions.retrieve(session.id)).subscription as string;
    expect(subscriptionId).toMatch(/^sub_/);
    const { stripeSub, row } = await expectMirrorsStripe(subscriptionId);
    expect(stripeSub.status).toBe('incomplete');
    expect(row).toMatchObject({ status: 'incomplete', account_id: account, latest_invoice_status: 'open', access_until: null });
    expect(await invoiceRows(subscriptionId)).toEqual([expect.objectContaining({ id: stripeSub.latest_invoice, status: 'open' })]);
    const applied = await query<{ state: string }>(s, `select state from webhook_events where type = 'invoice.payment_action_required' and payload->'data'->'object'->>'id' = ?`, [stripeSub.latest_invoice]);
    expect(applied).toEqual([{ state: 'processed' }]);
  });

  it('invoice.paid on renewal extends access_until to the new period end', async () => {
    const { sub } = await subscribe();
    const first = await expectMirrorsStripe(sub.id);
    expect(first.row.status).toBe('active');
    const firstEnd = seconds(first.row.current_period_end)!;
    expect(seconds(first.row.access_until)).toBe(firstEnd);

    await advanceToRenewal(sub);
    const { stripeSub, row } = await expectMirrorsStripe(sub.id);
    const newEnd = stripeView(stripeSub).current_period_end!;
    expect(newEnd).toBeGreaterThan(firstEnd + 27 * DAY);
    expect(row.status).toBe('active');
    expect(seconds(row.access_until)).toBe(newEnd);
    const invoices = await invoiceRows(sub.id);
    expect(invoices.map((i) => [i.billing_reason, i.status])).toEqual([
      ['subscription_create', 'paid'],
      ['subscription_cycle', 'paid'],
    ]);
  });

  it('invoice.paid of a renewal that arrives before the subscription update already extends access to the new period end', async () => {
    const { sub } = await subscribe();
    const oldEnd = seconds((await mirrorRow(s, sub.id))!.current_period_end)!;
    // Stripe does not guarantee order: here the renewal's customer.subscription.updated is lost (all
    // of them while the clock moves: the subscriptions of earlier tests renew about then too).
    s.emulator.setFaults({ webhooks: { drop: { types: ['customer.subscription.updated'] } } });
    try {
      await advanceToRenewal(sub);
    } finally {
      s.emulator.clearFaults();
    }
    const stripeSub = await s.stripe.subscriptions.retrieve(sub.id);
    const newEnd = stripeView(stripeSub).current_period_end!;
    const row = (await mirrorRow(s, sub.id))!;
    expect(seconds(row.current_period_end)).toBe(oldEnd);
    expect(await invoiceRows(sub.id)).toEqual(expect.arrayContaining([expect.objectContaining({ id: stripeSub.latest_invoice, status: 'paid' })]));
    expect(seconds(row.access_until)).toBe(newEnd);
  });

  it('after a change from yearly to monthly, access follows the monthly period, not the yearly invoice that was credited back', async () => {
    const { sub } = await subscribe();
    await s.stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, price: tier.yearly.id }] });
    await s.advance(DAY);
    await s.stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, price: tier.monthly.id }] });
    await s.settle();
    const { stripeSub, row } = await expectMirrorsStripe(sub.id);
    const monthlyEnd = stripeView(stripeSub).current_period_end!;
    expect(monthlyEnd).toBeLessThan(now() + 32 * DAY);
    expect(row.status).toBe('active');
    expect(seconds(row.access_until)).toBe(monthlyEnd);
  });

  /**
   * A renewal that fails: past_due with access until the first failure + the grace, retries on
   * days 3, 8 and 15 (the emulator's schedule [3, 5, 7]), and after the last one the final action.
   */
  async function failedRenewal(finalAction: 'unpaid' | 'cancel', graceDays: number) {
    await control(s, 'POST', '/_emulator/settings', { pastDueFinalAction: finalAction });
    const { customer: c, sub } = await subscribe();
    await failNextPayments(c.id);
    const renewedAt = await advanceToRenewal(sub);

    const pastDue = await expectMirrorsStripe(sub.id, graceDays);
    expect(pastDue.stripeSub.status).toBe('past_due');
    const failedInvoice = await s.stripe.invoices.retrieve(pastDue.stripeSub.latest_invoice as string);
    expect(failedInvoice).toMatchObject({ status: 'open', attempt_count: 1, billing_reason: 'subscription_cycle' });
    const firstFailure = failedInvoice.created;
    expect(firstFailure).toBe(renewedAt);
    const graceEnd = firstFailure + graceDays * DAY;
    expect(pastDue.row).toMatchObject({ status: 'past_due', latest_invoice_status: 'open' });
    expect(seconds(pastDue.row.first_failed_payment_at)).toBe(firstFailure);
    expect(seconds(pastDue.row.access_until)).toBe(graceEnd);
    expect(seconds(pastDue.row.access_until)).toBeGreaterThan(now());

    // First retry on day 3 fails too: still past_due, the grace still counts from the first failure.
    await s.advance(3 * DAY);
    const retried = await expectMirrorsStripe(sub.id, graceDays);
    expect(retried.row.status).toBe('past_due');
    expect(await invoiceRows(sub.id)).toEqual(expect.arrayContaining([expect.objectContaining({ id: failedInvoice.id, status: 'open', attempt_count: 2 })]));
    expect(seconds(retried.row.access_until)).toBe(graceEnd);

    return { sub, customer: c, failedInvoice, graceEnd };
  }

  it('a failed renewal: past_due with 7 days of grace from the first failure, retries, access ends at the grace end without any event, then unpaid without access', async () => {
    const { sub, failedInvoice, graceEnd } = await failedRenewal('unpaid', 7);

    // Past the grace end (day 7.5) and before the next retry (day 8): no event comes, yet the stored access has ended.
    const eventsBefore = await processedEventCount();
    await s.advance(graceEnd + DAY / 2 - now());
    expect(await processedEventCount()).toBe(eventsBefore);
    const lapsed = (await mirrorRow(s, sub.id))!;
    expect(lapsed.status).toBe('past_due');
    expect(seconds(lapsed.access_until)).toBe(graceEnd);
    expect(seconds(lapsed.access_until)).toBeLessThan(now());

    // Retries on day 8 and day 15 fail; after the last one the subscription becomes unpaid.
    await s.advance(DAY);
    expect((await s.stripe.invoices.retrieve(failedInvoice.id)).attempt_count).toBe(3);
    expect((await mirrorRow(s, sub.id))!.status).toBe('past_due');
    await s.advance(7 * DAY);
    const { stripeSub, row } = await expectMirrorsStripe(sub.id);
    expect(stripeSub.status).toBe('unpaid');
    expect(row).toMatchObject({ status: 'unpaid', access_until: null });
    expect(await invoiceRows(sub.id)).toEqual(expect.arrayContaining([expect.objectContaining({ id: failedInvoice.id, status: 'open', attempt_count: 4 })]));
  });

  it('a failed renewal with the final action "cancel": past_due, retries, then canceled without access', async () => {
    const { sub } = await failedRenewal('cancel', 7);
    await s.advance(12 * DAY);
    const { stripeSub, row } = await expectMirrorsStripe(sub.id);
    expect(stripeSub.status).toBe('canceled');
    expect(stripeSub.cancellation_details?.reason).toBe('payment_failed');
    expect(row).toMatchObject({ status: 'canceled', access_until: null });
    expect(seconds(row.ended_at)).toBe(stripeSub.ended_at);
    await control(s, 'POST', '/_emulator/settings', { pastDueFinalAction: 'unpaid' });
  });

  it("the application's past_due grace changed through the admin API sets the grace of a failed renewal", async () => {
    const patched = await s.admin(s.http().patch('/admin/applications/default').send({ past_due_grace_days: 3 }));
    expect(patched.status).toBe(200);
    expect(patched.body.past_due_grace_days).toBe(3);
    try {
      const { sub, graceEnd, failedInvoice } = await failedRenewal('unpaid', 3);
      expect(graceEnd).toBe(failedInvoice.created + 3 * DAY);
      // Day 3 is the grace end: a day later the stored access has ended while Stripe still says past_due.
      await s.advance(DAY);
      const row = (await mirrorRow(s, sub.id))!;
      expect(row.status).toBe('past_due');
      expect(seconds(row.access_until)).toBe(graceEnd);
      expect(seconds(row.access_until)).toBeLessThan(now());
    } finally {
      await s.admin(s.http().patch('/admin/applications/default').send({ past_due_grace_days: 7 }));
    }
  });

  it('cancel at period end: still active with access until current_period_end; when the period ends, canceled without access', async () => {
    const { sub } = await subscribe();
    await s.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    await s.settle();
    const { stripeSub, row } = await expectMirrorsStripe(sub.id);
    const periodEnd = stripeView(stripeSub).current_period_end!;
    expect(row).toMatchObject({ status: 'active', cancel_at_period_end: true });
    expect(seconds(row.cancel_at)).toBe(periodEnd);
    expect(seconds(row.access_until)).toBe(periodEnd);

    await advanceToRenewal(sub);
    const ended = await expectMirrorsStripe(sub.id);
    expect(ended.stripeSub.status).toBe('canceled');
    expect(ended.row).toMatchObject({ status: 'canceled', access_until: null });
    expect(seconds(ended.row.ended_at)).toBe(periodEnd);
  });

  it('cancel now: canceled at once, without access', async () => {
    const { sub } = await subscribe();
    await s.stripe.subscriptions.cancel(sub.id);
    await s.settle();
    const { stripeSub, row } = await expectMirrorsStripe(sub.id);
    expect(stripeSub.status).toBe('canceled');
    expect(row).toMatchObject({ status: 'canceled', access_until: null });
    expect(seconds(row.canceled_at)).toBe(stripeSub.canceled_at);
    expect(seconds(row.ended_at)).toBe(stripeSub.ended_at);
  });

  it('pause (status paused): no access; resume: active again with access to the new period end', async () => {
    const { sub } = await subscribe();
    await s.advance(5 * DAY);
    const paused = await s.stripe.subscriptions.pause(sub.id);
    expect(paused.status).toBe('paused');
    await s.settle();
    const p = await expectMirrorsStripe(sub.id);
    expect(p.row).toMatchObject({ status: 'paused', access_until: null });
    const pausedEvents = await query<{ state: string }>(s, `select state from webhook_events where type = 'customer.subscription.paused' and payload->'data'->'object'->>'id' = ?`, [sub.id]);
    expect(pausedEvents).toEqual([{ state: 'processed' }]);

    // No renewal while paused.
    await s.advance(40 * DAY);
    expect((await mirrorRow(s, sub.id))!.status).toBe('paused');

    const resumed = await s.stripe.subscriptions.resume(sub.id);
    expect(resumed.status).toBe('active');
    await s.settle();
    const r = await expectMirrorsStripe(sub.id);
    const newEnd = stripeView(r.stripeSub).current_period_end!;
    expect(r.row.status).toBe('active');
    expect(seconds(r.row.current_period_start)).toBeGreaterThanOrEqual(now() - 5);
    expect(seconds(r.row.access_until)).toBe(newEnd);
    expect(newEnd).toBeGreaterThan(now() + 27 * DAY);
  });

  it('pause_collection keeps the status active and the access of the paid period; unpausing is mirrored too', async () => {
    const { sub } = await subscribe();
    const updated = await s.stripe.subscriptions.update(sub.id, { pause_collection: { behavior: 'void' } });
    expect(updated).toMatchObject({ status: 'active', pause_collection: { behavior: 'void' } });
    await s.settle();
    const p = await expectMirrorsStripe(sub.id);
    expect(p.row.status).toBe('active');
    expect(seconds(p.row.access_until)).toBe(stripeView(p.stripeSub).current_period_end);
    const [raw] = await query<{ pause: unknown }>(s, `select raw->'pause_collection' as pause from subscriptions where id = ?`, [sub.id]);
    expect(raw!.pause).toMatchObject({ behavior: 'void' });

    await s.stripe.subscriptions.update(sub.id, { pause_collection: '' });
    await s.settle();
    await expectMirrorsStripe(sub.id);
    const [after] = await query<{ pause: unknown }>(s, `select raw->'pause_collection' as pause from subscriptions where id = ?`, [sub.id]);
    expect(after!.pause).toBeNull();
  });
});
