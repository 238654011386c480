// Billing meters (`/v1/billing/meters`: create, retrieve, update, list, deactivate, reactivate, event
// summaries) and meter events (`POST /v1/billing/meter_events`), with the `billing.meter.*` events.
// Aggregation and billing of the usage are in billing/usage.ts.
import type Stripe from 'stripe';
import { aggregateUsage } from '../billing/usage.js';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { listOf, pageOf } from '../http/list.js';
import type { Params } from '../http/params.js';
import type { ApiRouter } from '../http/routes.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { updateWithEvent } from './common.js';

const FORMULAS = ['count', 'last', 'sum'] as const;
const WINDOWS = ['day', 'hour'] as const;
/** Stripe takes meter events up to 35 days old and at most 5 minutes ahead. */
const MAX_AGE = 35 * 86_400;
const MAX_AHEAD = 5 * 60;

function createMeter(emu: Emulator, scope: Scope, p: Params): Stripe.Billing.Meter {
  const displayName = p.reqStr('display_name');
  const eventName = p.reqStr('event_name');
  const aggregation = p.obj('default_aggregation');
  if (!aggregation) throw errors.missing('default_aggregation');
  const formula = aggregation.oneOf('formula', FORMULAS);
  if (!formula) throw errors.missing('default_aggregation[formula]');
  if (scope.meters.find((m) => m.event_name === eventName && m.status === 'active')) {
    throw errors.invalid(`An active meter with event_name \`${eventName}\` already exists.`, 'event_name');
  }
  const mapping = p.obj('customer_mapping');
  const mappingType = mapping?.oneOf('type', ['by_id'] as const);
  if (mapping && !mappingType) throw errors.missing('customer_mapping[type]');
  const valueSettings = p.obj('value_settings');
  const now = emu.clock.now();
  const meter: Stripe.Billing.Meter = {
    id: newId('mtr'),
    object: 'billing.meter',
    created: now,
    customer_mapping: { event_payload_key: mapping ? mapping.reqStr('event_payload_key') : 'stripe_customer_id', type: 'by_id' },
    default_aggregation: { formula },
    display_name: displayName,
    event_name: eventName,
    event_time_window: p.oneOf('event_time_window', WINDOWS) ?? null,
    livemode: false,
    status: 'active',
    status_transitions: { deactivated_at: null },
    updated: now,
    value_settings: { event_payload_key: valueSettings ? valueSettings.reqStr('event_payload_key') : 'value' },
  };
  scope.meters.add(meter);
  emu.events.publish(scope, 'billing.meter.created', meter);
  return meter;
}

/** Deactivates or reactivates a meter; Stripe refuses to do either twice. */
function setStatus(emu: Emulator, scope: Scope, id: string, status: 'active' | 'inactive'): Stripe.Billing.Meter {
  const meter = scope.meters.require(id);
  if (meter.status === status) throw errors.invalid(`The meter \`${meter.id}\` is already ${status}.`);
  if (status === 'active' && scope.meters.find((m) => m.event_name === meter.event_name && m.status === 'active')) {
    throw errors.invalid(`An active meter with event_name \`${meter.event_name}\` already exists.`);
  }
  const now = emu.clock.now();
  meter.status = status;
  meter.status_transitions = { deactivated_at: status === 'inactive' ? now : null };
  meter.updated = now;
  emu.events.publish(scope, status === 'inactive' ? 'billing.meter.deactivated' : 'billing.meter.reactivated', meter);
  return meter;
}

function recordMeterEvent(emu: Emulator, scope: Scope, p: Params): Stripe.Billing.MeterEvent {
  const eventName = p.reqStr('event_name');
  const payloadParams = p.obj('payload');
  if (!payloadParams) throw errors.missing('payload');
  const payload: Record<string, string> = {};
  for (const key of Object.keys(payloadParams.raw)) payload[key] = payloadParams.reqStr(key);
  // Stripe checks the event against its meter after accepting it (and reports problems later, as
  // `billing.meter.error_report_triggered`); the emulator refuses at once, so a test sees the mistake.
  const meter = scope.meters.find((m) => m.event_name === eventName && m.status === 'active');
  if (!meter) throw errors.invalid(`No active meter exists for event_name \`${eventName}\`.`, 'event_name');
  const customerKey = meter.customer_mapping.event_payload_key;
  const customer = payload[customerKey];
  if (!customer) throw errors.missing(`payload[${customerKey}]`);
  scope.customers.require(customer, `payload[${customerKey}]`);
  const valueKey = meter.value_settings.event_payload_key;
  const rawValue = payload[valueKey];
  if (rawValue === undefined && meter.default_aggregation.formula !== 'count') throw errors.missing(`payload[${valueKey}]`);
  const value = rawValue === undefined ? 1 : Number(rawValue);
  if (!Number.isFinite(value)) throw errors.invalid(`Invalid decimal: ${rawValue}`, `payload[${valueKey}]`);
  // Usage of a customer on a test clock is on that clock's time, as its subscription's periods are.
  const now = emu.clockOf(scope, customer).now();
  const timestamp = p.int('timestamp') ?? now;
  if (timestamp < now - MAX_AGE || timestamp > now + MAX_AHEAD) {
    throw errors.invalid('The timestamp must be within the past 35 days and no more than 5 minutes in the future.', 'timestamp');
  }
  const identifier = p.str('identifier') || newId('mev');
  if (scope.meterEventIds.has(identifier)) {
    throw errors.invalid(`An event with identifier \`${identifier}\` already exists.`, 'identifier');
  }
  scope.meterEventIds.add(identifier);
  const list = scope.meterEvents.get(eventName) ?? [];
  list.push({ identifier, customer, value, timestamp });
  scope.meterEvents.set(eventName, list);
  return { object: 'billing.meter_event', created: now, event_name: eventName, identifier, livemode: false, payload, timestamp };
}

/** One summary over [start, end), or one per hour/day window, newest first as Stripe lists them. */
function eventSummaries(scope: Scope, meter: Stripe.Billing.Meter, p: Params): Stripe.ApiList<Stripe.Billing.MeterEventSummary> {
  const customer = p.reqStr('customer');
  scope.customers.require(customer, 'customer');
  const start = p.int('start_time');
  if (start === undefined) throw errors.missing('start_time');
  const end = p.int('end_time');
  if (end === undefined) throw errors.missing('end_time');
  if (end <= start) throw errors.invalid('end_time must be after start_time.', 'end_time');
  const window = p.oneOf('value_grouping_window', WINDOWS);
  const step = window === 'hour' ? 3600 : window === 'day' ? 86_400 : end - start;
  if (window && (start % step !== 0 || end % step !== 0)) {
    throw errors.invalid(`start_time and end_time must be aligned to the ${window} when value_grouping_window is ${window}.`, 'start_time');
  }
  const all: Stripe.Billing.MeterEventSummary[] = [];
  for (let t = start; t < end; t += step) {
    const to = Math.min(end, t + step);
    all.push({
      id: `mtrusg_${meter.id.slice(4, 16)}${customer.slice(4, 12)}${t.toString(36)}`,
      object: 'billing.meter_event_summary',
      aggregated_value: aggregateUsage(scope, meter, customer, t, to),
      end_time: to,
      livemode: false,
      meter: meter.id,
      start_time: t,
    });
  }
  all.reverse();
  const limit = p.int('limit') ?? 10;
  if (limit < 1 || limit > 100) throw errors.invalid(`This value must be between 1 and 100 (it currently is ${limit}).`, 'limit', 'parameter_invalid_integer');
  const after = p.str('starting_after');
  const from = after ? all.findIndex((s) => s.id === after) + 1 : 0;
  if (after && from === 0) throw errors.notFound('billing.meter_event_summary', after, 'starting_after');
  const data = all.slice(from, from + limit);
  return listOf(data, `/v1/billing/meters/${meter.id}/event_summaries`, from + limit < all.length);
}

export function meterRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/billing/meters', [
    'customer_mapping[event_payload_key]', 'customer_mapping[type]', 'default_aggregation[formula]', 'display_name',
    'event_name', 'event_time_window', 'value_settings[event_payload_key]',
  ], ({ scope, p }) => createMeter(emu, scope, p));
  r.add('GET', '/v1/billing/meters/:id', [], ({ scope, params }) => scope.meters.require(params.id));
  r.add('POST', '/v1/billing/meters/:id', ['display_name'], ({ scope, params, p }) => {
    const meter = scope.meters.require(params.id);
    return updateWithEvent(emu, scope, 'billing.meter.updated', meter, () => {
      if (p.has('display_name')) {
        meter.display_name = p.reqStr('display_name');
        meter.updated = emu.clock.now();
      }
    });
  });
  r.add('GET', '/v1/billing/meters', ['ending_before', 'limit', 'starting_after', 'status'], ({ scope, p }) => {
    const status = p.oneOf('status', ['active', 'inactive'] as const);
    return pageOf(scope.meters, p, '/v1/billing/meters', status ? (m) => m.status === status : undefined);
  });
  r.add('POST', '/v1/billing/meters/:id/deactivate', [], ({ scope, params }) => setStatus(emu, scope, params.id, 'inactive'));
  r.add('POST', '/v1/billing/meters/:id/reactivate', [], ({ scope, params }) => setStatus(emu, scope, params.id, 'active'));
  r.add('GET', '/v1/billing/meters/:id/event_summaries', ['customer', 'end_time', 'limit', 'start_time', 'starting_after', 'value_grouping_window'], ({ scope, params, p }) => eventSummaries(scope, scope.meters.require(params.id), p));
  r.add('POST', '/v1/billing/meter_events', ['event_name', 'identifier', 'payload[*]', 'timestamp'], ({ scope, p }) => recordMeterEvent(emu, scope, p));
}
