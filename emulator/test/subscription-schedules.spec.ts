// Subscription schedules through the SDK: phases walked by the clock (the subscription's price
// changes at the phase boundary and the renewal bills the new one), end_behavior release and
// cancel, a schedule from an existing subscription, release, cancel and future starts.
import Stripe from 'stripe';
import { catalog, DAY, harness, type Harness, stripeError } from './helpers.js';

describe('subscription schedules', () => {
  let h: Harness;
  let basic: Stripe.Price;
  let pro: Stripe.Price;
  beforeAll(async () => {
    h = await harness();
    basic = (await catalog(h.stripe, { amount: 1000 })).price;
    pro = (await catalog(h.stripe, { amount: 3000 })).price;
  });
  afterAll(() => h.stop());

  const customer = () => h.stripe.customers.create({ email: 's@example.com', invoice_settings: { default_payment_method: 'pm_card_visa' } });
  const latestTotal = async (subId: string) => (await h.stripe.invoices.retrieve((await h.stripe.subscriptions.retrieve(subId)).latest_invoice as string)).total;

  it('walks its phases with the clock and releases the subscription at the end', async () => {
    const { stripe, emu, receiver } = h;
    const cus = await customer();
    const schedule = await stripe.subscriptionSchedules.create({
      customer: cus.id,
      start_date: 'now',
      end_behavior: 'release',
      phases: [
        { items: [{ price: basic.id }], duration: { interval: 'month', interval_count: 1 } },
        { items: [{ price: pro.id, quantity: 2 }], duration: { interval: 'month', interval_count: 1 } },
      ],
    });
    expect(schedule).toMatchObject({ object: 'subscription_schedule', status: 'active', end_behavior: 'release', customer: cus.id });
    expect(schedule.phases).toHaveLength(2);
    expect(schedule.phases[1].start_date).toBe(schedule.phases[0].end_date);
    const subId = schedule.subscription as string;
    const sub = await stripe.subscriptions.retrieve(subId);
    expect(sub).toMatchObject({ status: 'active', schedule: schedule.id });
    expect(await latestTotal(subId)).toBe(1000);

    emu.advance(schedule.phases[0].end_date - emu.now());
    const second = await stripe.subscriptions.retrieve(subId);
    expect(second.items.data.map((i) => [i.price.id, i.quantity])).toEqual([[pro.id, 2]]);
    expect(await latestTotal(subId)).toBe(6000);
    expect((await stripe.subscriptionSchedules.retrieve(schedule.id)).current_phase).toEqual({ start_date: schedule.phases[1].start_date, end_date: schedule.phases[1].end_date });

    emu.advance(schedule.phases[1].end_date - emu.now());
    const released = await stripe.subscriptionSchedules.retrieve(schedule.id);
    expect(released).toMatchObject({ status: 'released', released_subscription: subId, subscription: null });
    const after = await stripe.subscriptions.retrieve(subId);
    expect(after).toMatchObject({ status: 'active', schedule: null });
    expect(after.items.data[0].price.id).toBe(pro.id);
    await emu.flushWebhooks();
    expect(receiver.types()).toEqual(expect.arrayContaining(['subscription_schedule.created', 'subscription_schedule.updated', 'subscription_schedule.released']));
  });

  it('starts its subscription with its first phase, so that the renewal bills the next phase even when the clock ticked meanwhile', async () => {
    const { stripe, emu } = h;
    // A start a second ago: what `now` becomes when the clock ticks between the phases being set and the subscription made.
    const schedule = await stripe.subscriptionSchedules.create({
      customer: (await customer()).id,
      start_date: emu.now() - 1,
      end_behavior: 'release',
      phases: [
        { items: [{ price: basic.id }], duration: { interval: 'month', interval_count: 1 } },
        { items: [{ price: pro.id, quantity: 2 }], duration: { interval: 'month', interval_count: 1 } },
      ],
    });
    const subId = schedule.subscription as string;
    const sub = await stripe.subscriptions.retrieve(subId);
    expect([sub.start_date, sub.items.data[0]!.current_period_end]).toEqual([schedule.phases[0].start_date, schedule.phases[0].end_date]);
    // Exactly to the phase end: the phase change and the renewal are both due, the change first.
    emu.advance(schedule.phases[0].end_date - emu.now());
    expect(await latestTotal(subId)).toBe(6000);
  });

  it('cancels the subscription at the end with end_behavior=cancel, with expiring before', async () => {
    const { stripe, emu, receiver } = h;
    const schedule = await stripe.subscriptionSchedules.create({ customer: (await customer()).id, end_behavior: 'cancel', phases: [{ items: [{ price: basic.id }], end_date: emu.now() + 20 * DAY }] });
    receiver.clear();
    emu.advance(21 * DAY);
    await emu.flushWebhooks();
    expect((await stripe.subscriptionSchedules.retrieve(schedule.id)).status).toBe('completed');
    expect((await stripe.subscriptions.retrieve(schedule.subscription as string)).status).toBe('canceled');
    expect(receiver.types()).toEqual(expect.arrayContaining(['subscription_schedule.expiring', 'subscription_schedule.completed', 'customer.subscription.deleted']));
  });

  it('is made from a subscription, updated with a next phase, and released on request', async () => {
    const { stripe, emu } = h;
    const sub = await stripe.subscriptions.create({ customer: (await customer()).id, items: [{ price: basic.id }] });
    const schedule = await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
    expect(schedule).toMatchObject({ status: 'active', subscription: sub.id, end_behavior: 'release' });
    expect(schedule.phases[0]).toMatchObject({ start_date: sub.items.data[0].current_period_start, end_date: sub.items.data[0].current_period_end });
    expect((await stripeError(stripe.subscriptionSchedules.create({ from_subscription: sub.id }))).param).toBe('from_subscription');
    const updated = await stripe.subscriptionSchedules.update(schedule.id, {
      phases: [
        { items: [{ price: basic.id }], start_date: schedule.phases[0].start_date, end_date: schedule.phases[0].end_date },
        { items: [{ price: pro.id }], duration: { interval: 'month' } },
      ],
      metadata: { plan: 'upgrade' },
    });
    expect(updated.phases.map((p) => p.items[0].price)).toEqual([basic.id, pro.id]);
    emu.advance(schedule.phases[0].end_date - emu.now());
    expect(await latestTotal(sub.id)).toBe(3000);
    const released = await stripe.subscriptionSchedules.release(schedule.id);
    expect(released).toMatchObject({ status: 'released', released_subscription: sub.id });
    expect((await stripe.subscriptions.retrieve(sub.id)).schedule).toBeNull();
    expect((await stripeError(stripe.subscriptionSchedules.release(schedule.id))).statusCode).toBe(400);
  });

  it('starts in the future, lists, and cancels with its subscription', async () => {
    const { stripe, emu } = h;
    const cus = await customer();
    const later = await stripe.subscriptionSchedules.create({ customer: cus.id, start_date: emu.now() + 5 * DAY, phases: [{ items: [{ price: basic.id }] }] });
    expect(later).toMatchObject({ status: 'not_started', subscription: null, current_phase: null });
    expect((await stripe.subscriptionSchedules.list({ customer: cus.id, scheduled: true })).data.map((s) => s.id)).toEqual([later.id]);
    emu.advance(5 * DAY);
    const started = await stripe.subscriptionSchedules.retrieve(later.id);
    expect(started.status).toBe('active');
    const subId = started.subscription as string;
    const canceled = await stripe.subscriptionSchedules.cancel(later.id);
    expect(canceled).toMatchObject({ status: 'canceled' });
    expect((await stripe.subscriptions.retrieve(subId)).status).toBe('canceled');
    expect((await stripeError(stripe.subscriptionSchedules.create({ customer: cus.id, phases: [{ items: [{ price: basic.id }], trial: true }] }))).param).toBe('phases[0][trial]');
  });
});
