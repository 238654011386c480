// Test clocks as Stripe has them: each clock has its own frozen time; a customer created with
// `test_clock` (and its subscriptions, invoices, trials) lives on that clock's time; advancing a
// clock runs only its own objects' renewals, with `advancing` before and `ready` after; other
// clocks, and objects on no clock (the emulator-wide clock), do not move. Deleting a clock deletes
// its customers.
import type Stripe from 'stripe';
import { catalog, DAY, harness, stripeError, type Harness } from './helpers.js';

const JAN_2020 = 1_577_836_800; // 2020-01-01T00:00:00Z
const FEB_2020 = 1_580_515_200; // 2020-02-01T00:00:00Z
const MAR_2020 = 1_583_020_800; // 2020-03-01T00:00:00Z
const JUN_2030 = 1_906_934_400; // 2030-06-07T00:00:00Z, ahead of real time

describe('test clocks', () => {
  let h: Harness;
  let price: Stripe.Price;
  beforeAll(async () => {
    h = await harness();
    ({ price } = await catalog(h.stripe));
  });
  afterAll(() => h.stop());

  const subscribe = async (testClock?: string) => {
    const customer = await h.stripe.customers.create({ test_clock: testClock, invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    return { customer, sub };
  };
  const cycleInvoices = async (customer: string) =>
    (await h.stripe.invoices.list({ customer })).data.filter((i) => i.billing_reason === 'subscription_cycle');
  const eventsOf = (sub: string) =>
    h.receiver.events.filter((e) => {
      const o = e.data.object as { id?: string; parent?: Stripe.Invoice['parent'] };
      return o.id === sub || o.parent?.subscription_details?.subscription === sub;
    });

  it('objects on a clock carry its frozen time, in the past or the future', async () => {
    const sent = h.emu.now();
    const past = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_2020, name: 'past' });
    const future = await h.stripe.testHelpers.testClocks.create({ frozen_time: JUN_2030 });
    expect(past).toMatchObject({ object: 'test_helpers.test_clock', frozen_time: JAN_2020, status: 'ready', name: 'past' });
    // Stamped by the emulator's own clock, which ticks in real time meanwhile.
    expect(past.created).toBeGreaterThanOrEqual(sent);
    expect(past.created).toBeLessThanOrEqual(h.emu.now());
    const a = await subscribe(past.id);
    const b = await subscribe(future.id);
    expect(a.customer).toMatchObject({ test_clock: past.id, created: JAN_2020 });
    expect(a.sub).toMatchObject({ test_clock: past.id, created: JAN_2020, start_date: JAN_2020, status: 'active' });
    expect(a.sub.items.data[0]).toMatchObject({ current_period_start: JAN_2020, current_period_end: FEB_2020 });
    const invoice = await h.stripe.invoices.retrieve(a.sub.latest_invoice as string);
    expect(invoice).toMatchObject({ test_clock: past.id, created: JAN_2020, status: 'paid', status_transitions: { paid_at: JAN_2020 } });
    expect(b.sub).toMatchObject({ test_clock: future.id, created: JUN_2030 });
  });

  it('advancing one clock renews only its subscriptions; the other clock and an unclocked customer stay', async () => {
    const clockA = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_2020 });
    const clockB = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_2020 });
    const a = await subscribe(clockA.id);
    const b = await subscribe(clockB.id);
    const sent = h.emu.now();
    const plain = await subscribe();
    const plainEnd = plain.sub.items.data[0].current_period_end;
    expect(plain.sub.created).toBeGreaterThanOrEqual(sent);
    expect(plain.sub.created).toBeLessThanOrEqual(h.emu.now());
    await h.emu.flushWebhooks();
    h.receiver.clear();

    const advanced = await h.stripe.testHelpers.testClocks.advance(clockA.id, { frozen_time: FEB_2020 + 60 });
    expect(advanced).toMatchObject({ id: clockA.id, status: 'ready', frozen_time: FEB_2020 + 60 });
    await h.emu.flushWebhooks();

    const renewed = await h.stripe.subscriptions.retrieve(a.sub.id);
    expect(renewed.items.data[0]).toMatchObject({ current_period_start: FEB_2020, current_period_end: MAR_2020 });
    const [cycle, ...more] = await cycleInvoices(a.customer.id);
    expect(more).toEqual([]);
    expect(cycle).toMatchObject({ status: 'paid', created: FEB_2020, period_start: FEB_2020, period_end: MAR_2020, test_clock: clockA.id });
    expect(eventsOf(a.sub.id).map((e) => e.type)).toEqual(expect.arrayContaining(['invoice.created', 'invoice.paid', 'customer.subscription.updated']));
    // Events are made in real time, whatever the clock of their object (see src/resources/test-clocks.ts).
    expect(eventsOf(a.sub.id).every((e) => e.created >= clockA.created)).toBe(true);

    expect((await h.stripe.subscriptions.retrieve(b.sub.id)).items.data[0]).toMatchObject({ current_period_start: JAN_2020, current_period_end: FEB_2020 });
    expect(await cycleInvoices(b.customer.id)).toEqual([]);
    expect(eventsOf(b.sub.id)).toEqual([]);
    expect(await h.stripe.testHelpers.testClocks.retrieve(clockB.id)).toMatchObject({ frozen_time: JAN_2020, status: 'ready' });

    expect((await h.stripe.subscriptions.retrieve(plain.sub.id)).items.data[0].current_period_end).toBe(plainEnd);
    expect(await cycleInvoices(plain.customer.id)).toEqual([]);
    expect(eventsOf(plain.sub.id)).toEqual([]);
    expect(h.emu.now()).toBeLessThan(plainEnd);

    // The emulator-wide clock moves objects on no clock only.
    h.emu.advance(plainEnd - h.emu.now() + 60);
    expect((await h.stripe.subscriptions.retrieve(plain.sub.id)).items.data[0].current_period_start).toBe(plainEnd);
    expect(await cycleInvoices(plain.customer.id)).toHaveLength(1);
    expect(await cycleInvoices(b.customer.id)).toEqual([]);
    expect(await h.stripe.testHelpers.testClocks.retrieve(clockA.id)).toMatchObject({ frozen_time: FEB_2020 + 60 });
  });

  it('sends advancing, then the events of the tasks it ran, then ready', async () => {
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_2020 });
    const { sub } = await subscribe(clock.id);
    await h.emu.flushWebhooks();
    h.receiver.clear();
    await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: FEB_2020 + 60 });
    await h.emu.flushWebhooks();
    const mine = h.receiver.events.filter(
      (e) => (e.type.startsWith('test_helpers.test_clock.') && (e.data.object as Stripe.TestHelpers.TestClock).id === clock.id) || (e.type === 'invoice.paid' && eventsOf(sub.id).includes(e)),
    );
    expect(mine.map((e) => e.type)).toEqual(['test_helpers.test_clock.advancing', 'invoice.paid', 'test_helpers.test_clock.ready']);
    expect(mine[0].data.object).toMatchObject({ status: 'advancing', frozen_time: JAN_2020, status_details: { advancing: { target_frozen_time: FEB_2020 + 60 } } });
    expect(mine[2].data.object).toMatchObject({ status: 'ready', frozen_time: FEB_2020 + 60 });
  });

  it('refuses to go backwards, to stand still, or past two intervals of its shortest subscription', async () => {
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: FEB_2020 });
    for (const frozen_time of [JAN_2020, FEB_2020]) {
      const err = await stripeError(h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time }));
      expect(err).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', param: 'frozen_time', message: 'The frozen_time must be after the current frozen_time of the test clock.' });
    }
    await subscribe(clock.id);
    const tooFar = await stripeError(h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: FEB_2020 + 61 * DAY }));
    expect(tooFar).toMatchObject({ statusCode: 400, param: 'frozen_time' });
    expect(await h.stripe.testHelpers.testClocks.retrieve(clock.id)).toMatchObject({ frozen_time: FEB_2020, status: 'ready' });
  });

  it('ends a trial on the clock: trial_end from its frozen time, the first paid invoice when it is advanced past it', async () => {
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_2020 });
    const customer = await h.stripe.customers.create({ test_clock: clock.id, invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 14 });
    expect(sub).toMatchObject({ status: 'trialing', trial_start: JAN_2020, trial_end: JAN_2020 + 14 * DAY });
    await h.emu.flushWebhooks();
    h.receiver.clear();
    await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: JAN_2020 + 12 * DAY });
    await h.emu.flushWebhooks();
    expect(eventsOf(sub.id).map((e) => e.type)).toEqual(['customer.subscription.trial_will_end']);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('trialing');
    await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: JAN_2020 + 15 * DAY });
    const after = await h.stripe.subscriptions.retrieve(sub.id);
    expect(after).toMatchObject({ status: 'active' });
    expect(after.items.data[0]).toMatchObject({ current_period_start: JAN_2020 + 14 * DAY });
    expect(await cycleInvoices(customer.id)).toEqual([expect.objectContaining({ status: 'paid', amount_paid: price.unit_amount, created: JAN_2020 + 14 * DAY })]);
  });

  it('lists customers and subscriptions on a clock only when that clock is asked for', async () => {
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_2020 });
    const { customer, sub } = await subscribe(clock.id);
    const plain = await subscribe();
    const customers = (await h.stripe.customers.list({ limit: 100 })).data.map((c) => c.id);
    expect(customers).toContain(plain.customer.id);
    expect(customers).not.toContain(customer.id);
    expect((await h.stripe.customers.list({ test_clock: clock.id })).data.map((c) => c.id)).toEqual([customer.id]);
    expect((await h.stripe.subscriptions.list({ limit: 100 })).data.map((s) => s.id)).not.toContain(sub.id);
    expect((await h.stripe.subscriptions.list({ test_clock: clock.id })).data.map((s) => s.id)).toEqual([sub.id]);
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data.map((s) => s.id)).toEqual([sub.id]);
  });

  it('a subscription takes its customer\'s clock and no test_clock of its own (the SDK has no such parameter)', async () => {
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_2020 });
    const other = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_2020 });
    const customer = await h.stripe.customers.create({ test_clock: clock.id });
    const params = { customer: customer.id, items: [{ price: price.id }], test_clock: other.id } as Stripe.SubscriptionCreateParams;
    const err = await stripeError(h.stripe.subscriptions.create(params));
    expect(err).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'test_clock' });
  });

  it('walks a schedule on its clock: expiring 7 days before a cancel schedule ends, then completed', async () => {
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_2020 });
    const customer = await h.stripe.customers.create({ test_clock: clock.id, invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const end = JAN_2020 + 28 * DAY;
    const schedule = await h.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: JAN_2020, end_behavior: 'cancel', phases: [{ items: [{ price: price.id }], end_date: end }] });
    expect(schedule).toMatchObject({ status: 'active', created: JAN_2020, test_clock: clock.id, current_phase: { start_date: JAN_2020, end_date: end } });
    await h.emu.flushWebhooks();
    h.receiver.clear();
    const ofSchedule = () => h.receiver.events.filter((e) => (e.data.object as { id: string }).id === schedule.id).map((e) => e.type);
    await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end - 8 * DAY });
    await h.emu.flushWebhooks();
    expect(ofSchedule()).toEqual([]);
    await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end - 7 * DAY });
    await h.emu.flushWebhooks();
    expect(ofSchedule()).toEqual(['subscription_schedule.expiring']);
    await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end });
    expect(await h.stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({ status: 'completed', completed_at: end });
    expect(await h.stripe.subscriptions.retrieve(schedule.subscription as string)).toMatchObject({ status: 'canceled', ended_at: end });
  });

  it('refuses a customer on a clock that does not exist', async () => {
    const err = await stripeError(h.stripe.customers.create({ test_clock: 'clock_missing' }));
    expect(err).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'test_clock' });
  });

  it('deleting a clock deletes its customers and ends their subscriptions; others are left', async () => {
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_2020 });
    const other = await h.stripe.testHelpers.testClocks.create({ frozen_time: JAN_2020 });
    const mine = await subscribe(clock.id);
    const theirs = await subscribe(other.id);
    await h.emu.flushWebhooks();
    h.receiver.clear();
    const deleted = await h.stripe.testHelpers.testClocks.del(clock.id);
    expect(deleted).toMatchObject({ id: clock.id, deleted: true });
    await h.emu.flushWebhooks();
    expect(await h.stripe.customers.retrieve(mine.customer.id)).toMatchObject({ deleted: true });
    expect(await h.stripe.subscriptions.retrieve(mine.sub.id)).toMatchObject({ status: 'canceled', ended_at: JAN_2020 });
    expect(h.receiver.types()).toEqual(['customer.subscription.deleted', 'customer.deleted', 'test_helpers.test_clock.deleted']);
    expect((await stripeError(h.stripe.testHelpers.testClocks.retrieve(clock.id))).statusCode).toBe(404);
    expect(await h.stripe.customers.retrieve(theirs.customer.id)).toMatchObject({ test_clock: other.id });
    expect((await h.stripe.subscriptions.retrieve(theirs.sub.id)).status).toBe('active');
  });
});
