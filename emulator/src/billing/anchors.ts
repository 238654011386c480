// Billing cycle anchors on creation: `billing_cycle_anchor` (a timestamp) or
// `billing_cycle_anchor_config` (day of month, time, month) moves the first renewal to the anchor,
// and the first invoice bills the short first period [now, anchor] prorated (`create_prorations`,
// `always_invoice`) or not at all (`none`), as Stripe does. Full periods follow from the anchor.
import type Stripe from 'stripe';
import { errors } from '../http/errors.js';
import type { Params } from '../http/params.js';
import type { Scope } from '../store/scope.js';
import { buildLine } from './invoices.js';
import { addUnits, nextBoundary } from './periods.js';
import { productName, taxRatesFor } from './subscription-objects.js';
import { isMetered } from './usage.js';

export interface AnchorInput {
  at: number;
  config: Stripe.Subscription.BillingCycleAnchorConfig | null;
}

type Recurring = Pick<Stripe.Price.Recurring, 'interval' | 'interval_count'>;

function intIn(p: Params, key: string, min: number, max: number): number | null {
  const v = p.int(key);
  if (v === undefined) return null;
  if (v < min || v > max) throw errors.invalid(`Invalid billing_cycle_anchor_config[${key}]: must be between ${min} and ${max}.`, `billing_cycle_anchor_config[${key}]`);
  return v;
}

/** The first time after `now` that matches the config (a day past the month's end is its last day), in UTC. */
function nextMatch(now: number, cfg: Stripe.Subscription.BillingCycleAnchorConfig): number {
  const d = new Date(now * 1000);
  const at = (year: number, month: number) => {
    const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    return (
      Date.UTC(year, month, Math.min(cfg.day_of_month, lastDay), cfg.hour ?? d.getUTCHours(), cfg.minute ?? d.getUTCMinutes(), cfg.second ?? d.getUTCSeconds()) / 1000
    );
  };
  for (let i = 0; i < 25; i++) {
    const month = d.getUTCMonth() + i;
    const year = d.getUTCFullYear() + Math.floor(month / 12);
    const m = ((month % 12) + 12) % 12;
    if (cfg.month !== null && m !== cfg.month - 1) continue;
    const t = at(year, m);
    if (t > now) return t;
  }
  throw errors.invalid('billing_cycle_anchor_config matches no date.', 'billing_cycle_anchor_config');
}

/**
 * The anchor a creation asks for, checked as Stripe checks it: a timestamp after now and no later
 * than the price's next natural billing date; a config only for monthly and yearly prices, and never
 * both. Null when neither is given.
 */
export function parseAnchor(p: Params, now: number, recurring: Recurring): AnchorInput | null {
  const cfgParams = p.obj('billing_cycle_anchor_config');
  const timestamp = p.int('billing_cycle_anchor');
  if (cfgParams && timestamp !== undefined) {
    throw errors.invalid('You may only specify one of these parameters: billing_cycle_anchor, billing_cycle_anchor_config.', 'billing_cycle_anchor_config');
  }
  const natural = nextBoundary(now, recurring, now);
  if (timestamp !== undefined) {
    if (timestamp <= now) throw errors.invalid('billing_cycle_anchor must be a timestamp in the future.', 'billing_cycle_anchor');
    if (timestamp > natural) {
      throw errors.invalid(`billing_cycle_anchor cannot be later than next natural billing date (${natural}) for plan`, 'billing_cycle_anchor');
    }
    return timestamp === natural ? null : { at: timestamp, config: null };
  }
  if (!cfgParams) return null;
  if (recurring.interval !== 'month' && recurring.interval !== 'year') {
    throw errors.invalid('billing_cycle_anchor_config is only valid with monthly and yearly prices.', 'billing_cycle_anchor_config');
  }
  const dayOfMonth = intIn(cfgParams, 'day_of_month', 1, 31);
  if (dayOfMonth === null) throw errors.missing('billing_cycle_anchor_config[day_of_month]');
  const config: Stripe.Subscription.BillingCycleAnchorConfig = {
    day_of_month: dayOfMonth,
    hour: intIn(cfgParams, 'hour', 0, 23),
    minute: intIn(cfgParams, 'minute', 0, 59),
    month: intIn(cfgParams, 'month', 1, 12),
    second: intIn(cfgParams, 'second', 0, 59),
  };
  if (config.month !== null && recurring.interval !== 'year') {
    throw errors.invalid('billing_cycle_anchor_config[month] is only valid with yearly prices.', 'billing_cycle_anchor_config[month]');
  }
  const at = nextMatch(now, config);
  return { at: Math.min(at, natural), config };
}

/**
 * The first invoice's lines for the short period [now, anchor]: each licensed item prorated over the
 * full period that ends at the anchor (`create_prorations`, `always_invoice`), nothing with `none`;
 * metered items bill their usage later, as always.
 */
export function anchoredFirstLines(
  scope: Scope,
  sub: Stripe.Subscription,
  now: number,
  anchor: number,
  behavior: 'create_prorations' | 'always_invoice' | 'none',
): Stripe.InvoiceLineItem[] {
  const recurring = sub.items.data[0].price.recurring!;
  const fullStart = addUnits(anchor, recurring.interval, -recurring.interval_count);
  const fraction = anchor > fullStart ? Math.min(1, (anchor - now) / (anchor - fullStart)) : 1;
  const date = new Date(now * 1000).toISOString().slice(0, 10);
  return sub.items.data.map((item) => {
    const metered = isMetered(item.price);
    const quantity = metered ? 0 : (item.quantity ?? 1);
    const prorate = behavior !== 'none' && !metered;
    const name = productName(scope, item.price);
    return buildLine(sub, {
      item,
      amount: prorate ? Math.round((item.price.unit_amount ?? 0) * quantity * fraction) : 0,
      quantity,
      description: prorate ? `Remaining time on ${quantity} × ${name} after ${date}` : `${quantity} × ${name}`,
      period: { start: now, end: anchor },
      proration: prorate,
      taxRates: taxRatesFor(sub, item),
    });
  });
}

/**
 * The anchor periods are counted from. A config's day past the end of the anchor's month (31 → 28
 * February) must come back in longer months (31 March), so counting starts from an earlier month
 * that has that day, at the same time of day.
 */
export function cycleAnchor(sub: Pick<Stripe.Subscription, 'billing_cycle_anchor' | 'billing_cycle_anchor_config'>): number {
  const cfg = sub.billing_cycle_anchor_config;
  const anchor = sub.billing_cycle_anchor;
  const d = new Date(anchor * 1000);
  if (!cfg || d.getUTCDate() >= cfg.day_of_month) return anchor;
  for (let back = 1; back <= 12; back++) {
    const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, cfg.day_of_month, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()));
    if (t.getUTCDate() === cfg.day_of_month) return t.getTime() / 1000;
  }
  return anchor;
}
