// Usage-based billing: meter events as `POST /v1/billing/meter_events` records them, and their
// aggregation by a meter's formula (sum / count / last) over a customer and a time window. The
// renewal bills a metered item with the usage of the period that just ended; previews and
// `invoice.upcoming` show the usage of the current period so far; event summaries read the same.
import type Stripe from 'stripe';
import { errors } from '../http/errors.js';
import type { RecordedMeterEvent, Scope } from '../store/scope.js';

/** Usage of `customer` on `meter` in [start, end), by the meter's formula; 0 without events. */
export function aggregateUsage(scope: Scope, meter: Stripe.Billing.Meter, customer: string, start: number, end: number): number {
  const events = scope.meterEvents.get(meter.event_name) ?? [];
  let sum = 0;
  let count = 0;
  let last: RecordedMeterEvent | undefined;
  for (const e of events) {
    if (e.customer !== customer || e.timestamp < start || e.timestamp >= end) continue;
    sum += e.value;
    count++;
    if (!last || e.timestamp >= last.timestamp) last = e;
  }
  switch (meter.default_aggregation.formula) {
    case 'count':
      return count;
    case 'last':
      return last?.value ?? 0;
    default:
      return sum;
  }
}

/** The usage a metered price bills for `customer` over a period (0 when the meter is gone). */
export function meteredQuantity(scope: Scope, price: Stripe.Price, customer: string, period: { start: number; end: number }): number {
  const meterId = price.recurring?.meter;
  const meter = meterId ? scope.meters.get(meterId) : undefined;
  return meter ? aggregateUsage(scope, meter, customer, period.start, period.end) : 0;
}

export function isMetered(price: Stripe.Price): boolean {
  return price.recurring?.usage_type === 'metered';
}

/** Stripe's answer to a quantity on a metered price (`param` the item, e.g. `items[0]`). */
export function checkMeteredQuantity(price: Stripe.Price, quantity: number | undefined, param: string): void {
  if (quantity !== undefined && isMetered(price)) {
    throw errors.invalid(`Quantity should not be specified where usage_type is \`metered\`. Remove quantity from \`${param}\`.`, param);
  }
}
