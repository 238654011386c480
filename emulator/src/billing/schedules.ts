// Subscription schedules: phases of items that the clock walks through. The first phase starts
// (or, from an existing subscription, is) the subscription; at each phase end the subscription's
// items become the next phase's (its `proration_behavior`); after the last phase the schedule is
// released (`end_behavior=release`: the subscription goes on alone) or cancels the subscription
// (`cancel`, status `completed`). A phase change at a period end must reach the subscription
// before its renewal bills the new period: the clock runs equal times in scheduling order, so the
// renewal is scheduled again after each phase task.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { nextBoundary } from './periods.js';
import { cancelSubscription, updateSubscription } from './subscription-changes.js';
import { createSubscription } from './subscription-creation.js';
import { key as taskKey, mutate } from './subscription-objects.js';
import { scheduleRenewal } from './subscription-renewal.js';

const DAY = 86_400;
/** `subscription_schedule.expiring` is sent this long before a schedule ends. */
const EXPIRING_NOTICE = 7 * DAY;

export interface PhaseInput {
  items: { price: Stripe.Price; quantity: number }[];
  /** Explicit end, else from `duration`, else one period of the first price. */
  endDate?: number;
  duration?: { interval: 'day' | 'week' | 'month' | 'year'; interval_count: number };
  prorationBehavior: Stripe.SubscriptionSchedule.Phase.ProrationBehavior;
  metadata: Record<string, string>;
}

const DEFAULT_SETTINGS: Stripe.SubscriptionSchedule.DefaultSettings = {
  application_fee_percent: null,
  billing_cycle_anchor: 'automatic',
  billing_thresholds: null,
  collection_method: 'charge_automatically',
  default_payment_method: null,
  description: null,
  invoice_settings: { account_tax_ids: null, custom_fields: null, days_until_due: null, description: null, footer: null, issuer: { type: 'self' } },
  on_behalf_of: null,
  transfer_data: null,
};

/** Phase objects from inputs, each starting where the one before ends. */
export function buildPhases(start: number, inputs: PhaseInput[]): Stripe.SubscriptionSchedule.Phase[] {
  let at = start;
  return inputs.map((input, i) => {
    if (input.items.length === 0) throw errors.missing(`phases[${i}][items]`);
    const recurring = input.items[0].price.recurring;
    if (!recurring) throw errors.invalid('A phase item must have a recurring price.', `phases[${i}][items][0][price]`);
    const end = input.endDate ?? nextBoundary(at, input.duration ?? recurring, at);
    if (end <= at) throw errors.invalid("A phase's end_date must be after its start_date.", `phases[${i}][end_date]`);
    const phase: Stripe.SubscriptionSchedule.Phase = {
      add_invoice_items: [],
      application_fee_percent: null,
      billing_cycle_anchor: null,
      billing_thresholds: null,
      collection_method: null,
      currency: input.items[0].price.currency,
      default_payment_method: null,
      default_tax_rates: [],
      description: null,
      discounts: [],
      end_date: end,
      invoice_settings: null,
      items: input.items.map((it) => ({ billing_thresholds: null, discounts: [], metadata: {}, plan: it.price.id, price: it.price.id, quantity: it.quantity, tax_rates: [] })),
      metadata: input.metadata,
      on_behalf_of: null,
      proration_behavior: input.prorationBehavior,
      start_date: at,
      transfer_data: null,
      trial_end: null,
    };
    at = end;
    return phase;
  });
}

export function newSchedule(
  emu: Emulator,
  scope: Scope,
  customer: string,
  phases: Stripe.SubscriptionSchedule.Phase[],
  endBehavior: Stripe.SubscriptionSchedule.EndBehavior,
  metadata: Record<string, string>,
): Stripe.SubscriptionSchedule {
  const now = emu.clockOf(scope, customer).now();
  return {
    id: newId('sub_sched'),
    object: 'subscription_schedule',
    application: null,
    billing_mode: { type: 'flexible', flexible: { proration_discounts: 'itemized' }, updated_at: now },
    canceled_at: null,
    completed_at: null,
    created: now,
    current_phase: null,
    customer,
    customer_account: null,
    default_settings: DEFAULT_SETTINGS,
    end_behavior: endBehavior,
    livemode: false,
    metadata,
    pause_schedules: [],
    phases,
    released_at: null,
    released_subscription: null,
    status: 'not_started',
    subscription: null,
    test_clock: scope.customers.get(customer)?.test_clock ?? null,
  };
}

const phaseKey = (s: Stripe.SubscriptionSchedule) => `schedule_phase:${s.id}`;
const expiringKey = (s: Stripe.SubscriptionSchedule) => `schedule_expiring:${s.id}`;

function subscriptionOf(scope: Scope, s: Stripe.SubscriptionSchedule): Stripe.Subscription | undefined {
  return typeof s.subscription === 'string' ? scope.subscriptions.get(s.subscription) : undefined;
}

/** The phase running at `at` (the last one when past all). */
function phaseAt(s: Stripe.SubscriptionSchedule, at: number): number {
  const i = s.phases.findIndex((p) => p.start_date <= at && at < p.end_date);
  return i === -1 ? s.phases.length - 1 : i;
}

/** Makes phase `index` the subscription's (creating the subscription for the first), then waits for its end. */
export function startPhase(emu: Emulator, scope: Scope, s: Stripe.SubscriptionSchedule, index: number, announce = true): void {
  const phase = s.phases[index];
  const prices = phase.items.map((it) => ({ price: scope.prices.require(it.price as string), quantity: it.quantity ?? 1 }));
  let sub = subscriptionOf(scope, s);
  if (!sub) {
    const customer = scope.customers.require(s.customer as string, 'customer');
    sub = createSubscription(emu, scope, {
      customer,
      items: prices.map((p) => ({ price: p.price, quantity: p.quantity, taxRates: null, metadata: {} })),
      paymentBehavior: 'allow_incomplete',
      defaultPaymentMethod: null,
      trialEnd: null,
      defaultTaxRates: [],
      metadata: { ...(phase.metadata ?? {}) },
      description: null,
      applicationFeePercent: null,
      transferData: null,
      cancelAtPeriodEnd: false,
      missingPaymentMethod: 'create_invoice',
      announceBeforePayment: false,
      schedule: s.id,
      // The first phase's subscription starts with it (its end is the phase's); a later phase's, now.
      ...(index === 0 ? { startedAt: phase.start_date } : {}),
    });
    s.subscription = sub.id;
  } else if (!sameItems(sub, prices)) {
    updateSubscription(emu, scope, sub, {
      // Item by item: the n-th item takes the n-th price; items beyond the phase's go, prices beyond the items are added.
      items: [
        ...prices.map((p, i) => ({ id: sub!.items.data[i]?.id, price: p.price, quantity: p.quantity })),
        ...sub.items.data.slice(prices.length).map((it) => ({ id: it.id, deleted: true })),
      ],
      prorationBehavior: phase.proration_behavior === 'always_invoice' ? 'always_invoice' : phase.proration_behavior === 'none' ? 'none' : 'create_prorations',
    });
  }
  const before = structuredClone(s);
  s.status = 'active';
  s.current_phase = { start_date: phase.start_date, end_date: phase.end_date };
  if (announce && JSON.stringify(before) !== JSON.stringify(s)) emu.events.publish(scope, 'subscription_schedule.updated', s);
  watch(emu, scope, s, index);
}

function sameItems(sub: Stripe.Subscription, prices: { price: Stripe.Price; quantity: number }[]): boolean {
  return sub.items.data.length === prices.length && sub.items.data.every((it, i) => it.price.id === prices[i].price.id && (it.quantity ?? 1) === prices[i].quantity);
}

/** The task at the end of phase `index`, and the expiry notice before the last phase ends. */
export function watch(emu: Emulator, scope: Scope, s: Stripe.SubscriptionSchedule, index: number): void {
  const clock = emu.clockOf(scope, s.customer);
  const end = s.phases[index].end_date;
  clock.schedule(end, phaseKey(s), () => {
    if (s.status !== 'active') return;
    if (index + 1 < s.phases.length) startPhase(emu, scope, s, index + 1);
    else finish(emu, scope, s);
  });
  const sub = subscriptionOf(scope, s);
  // The renewal at the same time must run after the phase change (equal times run in scheduling order).
  if (sub && (sub.status === 'active' || sub.status === 'past_due') && clock.scheduledAt(taskKey('renew', sub)) === end) scheduleRenewal(emu, scope, sub);
  const last = s.phases[s.phases.length - 1].end_date;
  const notice = last - EXPIRING_NOTICE;
  if (s.end_behavior === 'cancel' && notice > clock.now() && clock.scheduledAt(expiringKey(s)) === undefined) {
    clock.schedule(notice, expiringKey(s), () => {
      if (s.status === 'active') emu.events.publish(scope, 'subscription_schedule.expiring', s);
    });
  }
}

/** After the last phase: release the subscription, or cancel it and complete. */
function finish(emu: Emulator, scope: Scope, s: Stripe.SubscriptionSchedule): void {
  const sub = subscriptionOf(scope, s);
  if (s.end_behavior === 'cancel') {
    s.status = 'completed';
    s.completed_at = emu.clockOf(scope, s.customer).now();
    s.current_phase = null;
    if (sub && sub.status !== 'canceled' && sub.status !== 'incomplete_expired') cancelSubscription(emu, scope, sub, { reason: 'cancellation_requested' });
    emu.events.publish(scope, 'subscription_schedule.completed', s);
    return;
  }
  release(emu, scope, s);
}

/** The subscription goes on without the schedule. */
export function release(emu: Emulator, scope: Scope, s: Stripe.SubscriptionSchedule): Stripe.SubscriptionSchedule {
  const clock = emu.clockOf(scope, s.customer);
  if (s.status !== 'active' && s.status !== 'not_started') throw errors.invalid(`You cannot release a subscription schedule that is currently in the \`${s.status}\` status.`, undefined);
  const sub = subscriptionOf(scope, s);
  clock.cancel(phaseKey(s));
  clock.cancel(expiringKey(s));
  const now = clock.now();
  clock.cancel(`schedule_start:${s.id}`);
  s.status = 'released';
  s.released_at = now;
  s.released_subscription = sub?.id ?? null;
  s.subscription = null;
  s.current_phase = null;
  if (sub) {
    mutate(emu, scope, sub, () => {
      sub.schedule = null;
    });
  }
  emu.events.publish(scope, 'subscription_schedule.released', s);
  return s;
}

/** Cancels the schedule and its subscription now. */
export function cancelSchedule(emu: Emulator, scope: Scope, s: Stripe.SubscriptionSchedule, opts: { invoiceNow?: boolean; prorate?: boolean }): Stripe.SubscriptionSchedule {
  const clock = emu.clockOf(scope, s.customer);
  if (s.status !== 'active' && s.status !== 'not_started') throw errors.invalid(`You cannot cancel a subscription schedule that is currently in the \`${s.status}\` status.`, undefined);
  clock.cancel(phaseKey(s));
  clock.cancel(expiringKey(s));
  clock.cancel(`schedule_start:${s.id}`);
  const sub = subscriptionOf(scope, s);
  s.status = 'canceled';
  s.canceled_at = clock.now();
  s.current_phase = null;
  if (sub && sub.status !== 'canceled' && sub.status !== 'incomplete_expired') cancelSubscription(emu, scope, sub, { reason: 'cancellation_requested', invoiceNow: opts.invoiceNow, prorate: opts.prorate });
  emu.events.publish(scope, 'subscription_schedule.canceled', s);
  return s;
}

/** A schedule starting in the future waits for its start date; one starting now starts its phase now. */
export function begin(emu: Emulator, scope: Scope, s: Stripe.SubscriptionSchedule): void {
  const clock = emu.clockOf(scope, s.customer);
  const start = s.phases[0].start_date;
  if (start > clock.now()) {
    clock.schedule(start, `schedule_start:${s.id}`, () => {
      if (s.status === 'not_started') startPhase(emu, scope, s, 0);
    });
    return;
  }
  startPhase(emu, scope, s, phaseAt(s, clock.now()), false);
}

/** New phases of an active or not started schedule: the running phase's items are applied now. */
export function replacePhases(emu: Emulator, scope: Scope, s: Stripe.SubscriptionSchedule, phases: Stripe.SubscriptionSchedule.Phase[]): void {
  const clock = emu.clockOf(scope, s.customer);
  s.phases = phases;
  clock.cancel(phaseKey(s));
  clock.cancel(expiringKey(s));
  if (s.status === 'active') startPhase(emu, scope, s, phaseAt(s, clock.now()), false);
  else begin(emu, scope, s);
}
