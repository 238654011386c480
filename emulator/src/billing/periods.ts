// Billing period arithmetic. Periods are anchored on the billing cycle anchor, so a month that
// starts on the 31st renews on the last day of shorter months and returns to the 31st after.
import type Stripe from 'stripe';

type Interval = Stripe.Price.Recurring.Interval;

export function addUnits(anchor: number, interval: Interval, units: number): number {
  if (interval === 'day') return anchor + units * 86_400;
  if (interval === 'week') return anchor + units * 7 * 86_400;
  const d = new Date(anchor * 1000);
  const months = interval === 'year' ? units * 12 : units;
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return Math.floor(target.getTime() / 1000);
}

/** The first period boundary after `after`, counting whole intervals from `anchor`. */
export function nextBoundary(anchor: number, recurring: Pick<Stripe.Price.Recurring, 'interval' | 'interval_count'>, after: number): number {
  let n = 1;
  let t = addUnits(anchor, recurring.interval, recurring.interval_count);
  while (t <= after) {
    n++;
    t = addUnits(anchor, recurring.interval, n * recurring.interval_count);
  }
  return t;
}
