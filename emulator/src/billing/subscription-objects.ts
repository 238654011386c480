// The subscription object and what every step of the engine shares: its items and plans, its
// period, its payment method, invoice lines for a period, cancellation details, clock task keys,
// and `changed`/`mutate`, which announce a change as `customer.subscription.updated`.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { previousAttributes, snapshot } from './diff.js';
import { refreshEntitlements } from './entitlements.js';
import { buildLine } from './invoices.js';
import { isMetered, meteredQuantity } from './usage.js';

export interface ItemInput {
  price: Stripe.Price;
  quantity: number;
  taxRates: Stripe.TaxRate[] | null;
  metadata: Record<string, string>;
}

export const key = (kind: string, sub: Stripe.Subscription) => `${kind}:${sub.id}`;

export type Details = Stripe.Subscription.CancellationDetails;

/** The subscription's cancellation details with some fields replaced. */
export function details(sub: Pick<Stripe.Subscription, 'cancellation_details'>, changes: Partial<Details>): Details {
  return { comment: null, feedback: null, feedback_option: null, reason: null, ...(sub.cancellation_details ?? {}), ...changes };
}

// One frozen empty array for the empty list fields of every subscription and item: the engine
// replaces such lists, never mutates them, and at benchmark size the memory counts.
export const NOTHING: never[] = Object.freeze([]) as unknown as never[];

/** Plans are derived from prices; one per price object, rebuilt when the price changes. */
const plans = new WeakMap<Stripe.Price, { plan: Stripe.Plan; key: string }>();

export function planOf(price: Stripe.Price): Stripe.Plan {
  const key = `${price.active}|${price.nickname}|${price.recurring?.trial_period_days}|${JSON.stringify(price.metadata)}`;
  const cached = plans.get(price);
  if (cached && cached.key === key) return cached.plan;
  const plan = buildPlan(price);
  plans.set(price, { plan, key });
  return plan;
}

function buildPlan(price: Stripe.Price): Stripe.Plan {
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: price.recurring!.interval,
    interval_count: price.recurring!.interval_count,
    livemode: false,
    metadata: price.metadata,
    meter: price.recurring!.meter,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: price.recurring!.trial_period_days,
    usage_type: price.recurring!.usage_type,
  };
}

/** A new item of `sub`; `register` false leaves it unfindable by id (an item of a preview, which does not exist). */
export function buildItem(scope: Scope, sub: Stripe.Subscription, input: ItemInput, now: number, period: { start: number; end: number }, register = true): Stripe.SubscriptionItem {
  const item: Stripe.SubscriptionItem = {
    id: newId('si', 14),
    object: 'subscription_item',
    billing_thresholds: null,
    created: now,
    current_trial: null,
    current_period_end: period.end,
    current_period_start: period.start,
    discounts: NOTHING,
    metadata: input.metadata,
    plan: planOf(input.price),
    price: input.price,
    // Stripe shows no quantity on a metered item: what it bills is the usage its meter reports.
    ...(isMetered(input.price) ? {} : { quantity: input.quantity }),
    subscription: sub.id,
    tax_rates: input.taxRates ?? NOTHING,
  };
  if (register) scope.itemOwners.set(item.id, sub.id);
  return item;
}

/** The recurring price that sets the period (all items of a subscription share one interval). */
export function recurringOf(sub: Stripe.Subscription): Stripe.Price.Recurring {
  return sub.items.data[0].price.recurring!;
}

export function period(sub: Stripe.Subscription): { start: number; end: number } {
  const item = sub.items.data[0];
  return { start: item.current_period_start, end: item.current_period_end };
}

export function setPeriod(sub: Stripe.Subscription, start: number, end: number): void {
  for (const item of sub.items.data) {
    item.current_period_start = start;
    item.current_period_end = end;
  }
}

export function paymentMethodOf(scope: Scope, sub: Stripe.Subscription): string | null {
  if (typeof sub.default_payment_method === 'string') return sub.default_payment_method;
  const customer = scope.customers.get(sub.customer as string);
  const pm = customer?.invoice_settings.default_payment_method;
  return typeof pm === 'string' ? pm : null;
}

export function taxRatesFor(sub: Stripe.Subscription, item: Stripe.SubscriptionItem): Stripe.TaxRate[] {
  return item.tax_rates && item.tax_rates.length > 0 ? item.tax_rates : (sub.default_tax_rates ?? []);
}

export function productName(scope: Scope, price: Stripe.Price): string {
  const id = typeof price.product === 'string' ? price.product : price.product.id;
  return scope.products.get(id)?.name ?? id;
}

/**
 * The lines of an invoice for period `p`: licensed items in advance for `p`; metered items in arrears,
 * for the usage their meter aggregated over `usage` (the period that ended; none on a first invoice).
 */
export function periodLines(
  scope: Scope,
  sub: Stripe.Subscription,
  p: { start: number; end: number },
  trial: boolean,
  usage?: { start: number; end: number },
): Stripe.InvoiceLineItem[] {
  return sub.items.data.map((item) => {
    const metered = isMetered(item.price);
    const quantity = metered ? (usage ? meteredQuantity(scope, item.price, sub.customer as string, usage) : 0) : (item.quantity ?? 1);
    const amount = trial ? 0 : Math.round((item.price.unit_amount ?? 0) * quantity);
    const name = productName(scope, item.price);
    return buildLine(sub, {
      item,
      amount,
      quantity,
      description: trial ? `Trial period for ${name}` : `${quantity} × ${name}`,
      period: metered && usage ? usage : p,
      proration: false,
      taxRates: taxRatesFor(sub, item),
    });
  });
}

/** Publishes `customer.subscription.updated` (plus paused/resumed when the status says so) if anything changed. */
export function changed(emu: Emulator, scope: Scope, sub: Stripe.Subscription, before: Stripe.Subscription): void {
  const diff = previousAttributes(before, sub);
  if (!diff) return;
  emu.events.publish(scope, 'customer.subscription.updated', sub, diff);
  if (before.status !== 'paused' && sub.status === 'paused') emu.events.publish(scope, 'customer.subscription.paused', sub);
  if (before.status === 'paused' && sub.status !== 'paused') emu.events.publish(scope, 'customer.subscription.resumed', sub);
  if (before.status !== sub.status) refreshEntitlements(emu, scope, sub.customer as string);
}

export function mutate(emu: Emulator, scope: Scope, sub: Stripe.Subscription, fn: () => void): void {
  const before = snapshot(sub);
  fn();
  changed(emu, scope, sub, before);
}
