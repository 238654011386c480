// `/v1/subscription_schedules`: create (from a subscription, or a customer with phases), retrieve,
// update (phases, end_behavior, metadata), list, release, cancel. The engine is billing/schedules.ts.
import type Stripe from 'stripe';
import { begin, buildPhases, cancelSchedule, newSchedule, release, replacePhases, watch, type PhaseInput } from '../billing/schedules.js';
import { mutate, period } from '../billing/subscription-objects.js';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { createdFilter, pageOf } from '../http/list.js';
import type { Params } from '../http/params.js';
import type { ApiRouter } from '../http/routes.js';
import type { Scope } from '../store/scope.js';

function parsePhases(scope: Scope, p: Params, defaultBehavior: PhaseInput['prorationBehavior'] = 'create_prorations'): PhaseInput[] {
  const list = p.list('phases');
  if (!list || list.length === 0) throw errors.missing('phases');
  return list.map((ph, i) => {
    const items = (ph.list('items') ?? []).map((it, j) => {
      const id = it.str('price');
      if (!id) throw errors.missing(`phases[${i}][items][${j}][price]`);
      return { price: scope.prices.require(id, `phases[${i}][items][${j}][price]`), quantity: it.int('quantity') ?? 1 };
    });
    if (items.length === 0) throw errors.missing(`phases[${i}][items]`);
    const duration = ph.obj('duration');
    const interval = duration?.oneOf('interval', ['day', 'week', 'month', 'year'] as const);
    return {
      items,
      endDate: ph.int('end_date'),
      duration: interval ? { interval, interval_count: duration!.int('interval_count') ?? 1 } : undefined,
      prorationBehavior: ph.oneOf('proration_behavior', ['always_invoice', 'create_prorations', 'none'] as const) ?? defaultBehavior,
      metadata: ph.metadata(),
    };
  });
}

/** `start_date` of the first phase: a timestamp or `now` (the customer's clock's). */
function startOf(now: number, raw: string | undefined, p: Params, key: string): number {
  if (raw === undefined || raw === 'now') return now;
  return p.int(key)!;
}

function createSchedule(emu: Emulator, scope: Scope, p: Params): Stripe.SubscriptionSchedule {
  const fromId = p.str('from_subscription');
  const endBehavior = p.oneOf('end_behavior', ['cancel', 'none', 'release', 'renew'] as const) ?? 'release';
  if (fromId) {
    for (const k of ['customer', 'phases', 'start_date', 'end_behavior']) {
      if (p.has(k)) throw errors.invalid(`You cannot set \`${k}\` when creating a schedule from a subscription.`, k);
    }
    const sub = scope.subscriptions.require(fromId, 'from_subscription');
    if (sub.schedule) throw errors.invalid(`The subscription \`${sub.id}\` is already attached to a schedule.`, 'from_subscription');
    if (sub.status === 'canceled' || sub.status === 'incomplete_expired') throw errors.invalid('You cannot create a schedule from a canceled subscription.', 'from_subscription');
    const current = period(sub);
    const phases = buildPhases(current.start, [
      { items: sub.items.data.map((it) => ({ price: it.price, quantity: it.quantity ?? 1 })), endDate: current.end, prorationBehavior: 'create_prorations', metadata: {} },
    ]);
    const schedule = newSchedule(emu, scope, sub.customer as string, phases, 'release', p.metadata());
    schedule.status = 'active';
    schedule.subscription = sub.id;
    schedule.current_phase = { start_date: current.start, end_date: current.end };
    scope.subscriptionSchedules.add(schedule);
    mutate(emu, scope, sub, () => {
      sub.schedule = schedule.id;
    });
    emu.events.publish(scope, 'subscription_schedule.created', schedule);
    watch(emu, scope, schedule, 0);
    return schedule;
  }
  const customer = scope.customers.require(p.reqStr('customer'), 'customer');
  const start = startOf(emu.clockOf(scope, customer).now(), p.str('start_date'), p, 'start_date');
  const schedule = newSchedule(emu, scope, customer.id, buildPhases(start, parsePhases(scope, p)), endBehavior, p.metadata());
  scope.subscriptionSchedules.add(schedule);
  emu.events.publish(scope, 'subscription_schedule.created', schedule);
  begin(emu, scope, schedule);
  return schedule;
}

export function subscriptionScheduleRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/subscription_schedules', [
    'customer', 'end_behavior', 'from_subscription', 'metadata', 'phases[duration][interval]',
    'phases[duration][interval_count]', 'phases[end_date]', 'phases[items][price]', 'phases[items][quantity]',
    'phases[metadata]', 'phases[proration_behavior]', 'start_date',
  ], ({ scope, p }) => createSchedule(emu, scope, p));
  r.add('GET', '/v1/subscription_schedules/:id', [], ({ scope, params }) => scope.subscriptionSchedules.require(params.id));
  r.add('GET', '/v1/subscription_schedules', ['created', 'customer', 'ending_before', 'limit', 'scheduled', 'starting_after'], ({ scope, p }) => {
    const customer = p.str('customer');
    const created = createdFilter(p);
    const scheduled = p.bool('scheduled');
    const released = p.obj('released_at') ? true : undefined;
    return pageOf(
      scope.subscriptionSchedules,
      p,
      '/v1/subscription_schedules',
      (s) =>
        (!customer || s.customer === customer) &&
        (!created || created(s.created)) &&
        (scheduled === undefined || (s.status === 'not_started') === scheduled) &&
        (released === undefined || s.released_at !== null),
    );
  });
  r.add('POST', '/v1/subscription_schedules/:id', [
    'end_behavior', 'metadata', 'phases[duration][interval]', 'phases[duration][interval_count]', 'phases[end_date]',
    'phases[items][price]', 'phases[items][quantity]', 'phases[metadata]', 'phases[proration_behavior]',
    'phases[start_date]', 'proration_behavior',
  ], ({ scope, params, p }) => {
    const s = scope.subscriptionSchedules.require(params.id);
    if (s.status !== 'active' && s.status !== 'not_started') throw errors.invalid(`You cannot update a subscription schedule that is currently in the \`${s.status}\` status.`);
    const before = structuredClone(s);
    s.metadata = p.metadata('metadata', s.metadata ?? {});
    const end = p.oneOf('end_behavior', ['cancel', 'none', 'release', 'renew'] as const);
    if (end) s.end_behavior = end;
    if (p.has('phases')) {
      const first = p.list('phases')![0];
      const now = emu.clockOf(scope, s.customer).now();
      const start = first.has('start_date') ? startOf(now, first.str('start_date'), first, 'start_date') : s.phases[0].start_date;
      if (s.status === 'active' && s.current_phase && start > now) throw errors.invalid('The first phase of an active schedule must have started (its start_date in the past or now).', 'phases[0][start_date]');
      replacePhases(emu, scope, s, buildPhases(start, parsePhases(scope, p, p.oneOf('proration_behavior', ['always_invoice', 'create_prorations', 'none'] as const))));
    }
    if (JSON.stringify(before) !== JSON.stringify(s)) emu.events.publish(scope, 'subscription_schedule.updated', s);
    return s;
  });
  r.add('POST', '/v1/subscription_schedules/:id/release', [], ({ scope, params }) => release(emu, scope, scope.subscriptionSchedules.require(params.id)));
  r.add('POST', '/v1/subscription_schedules/:id/cancel', ['invoice_now', 'prorate'], ({ scope, params, p }) =>
    cancelSchedule(emu, scope, scope.subscriptionSchedules.require(params.id), { invoiceNow: p.bool('invoice_now'), prorate: p.bool('prorate') }),
  );
}
