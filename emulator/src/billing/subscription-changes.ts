// Changes on request: cancel (now, with optional proration and final invoice), update (items,
// prices and quantities with prorations, period-end or dated cancellation, pause_collection,
// ending a trial), pause and resume.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import type { Scope } from '../store/scope.js';
import { snapshot } from './diff.js';
import { attachDiscounts, replaceDiscounts, type DiscountSpec } from './discounts.js';
import { refreshEntitlements } from './entitlements.js';
import { buildLine, chargeInvoice, createInvoice, finalizeInvoice } from './invoices.js';
import { nextBoundary } from './periods.js';
import { isMetered } from './usage.js';
import { buildItem, changed, details, key, mutate, paymentMethodOf, period, periodLines, planOf, productName, recurringOf, setPeriod, taxRatesFor } from './subscription-objects.js';
import { collect, endSubscription, renew, scheduleRenewal } from './subscription-renewal.js';

export interface CancelOptions {
  reason?: Stripe.Subscription.CancellationDetails.Reason;
  invoiceNow?: boolean;
  prorate?: boolean;
  comment?: string | null;
  feedback?: Stripe.Subscription.CancellationDetails.Feedback | null;
}

export function cancelSubscription(emu: Emulator, scope: Scope, sub: Stripe.Subscription, opts: CancelOptions = {}): Stripe.Subscription {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    throw errors.invalid(`This subscription has already been canceled.`, undefined);
  }
  const now = emu.clockOf(scope, sub.customer).now();
  const state = scope.subState(sub.id);
  if (opts.prorate && sub.status !== 'trialing' && sub.status !== 'incomplete') {
    const p = period(sub);
    for (const item of sub.items.data) state.pendingLines.push(prorationLine(scope, sub, item, item.price, item.quantity ?? 1, now, p, -1));
  }
  if (opts.invoiceNow && state.pendingLines.length > 0) {
    const invoice = createInvoice(emu, scope, sub, 'subscription_update', state.pendingLines, { start: now, end: now });
    state.pendingLines = [];
    sub.latest_invoice = invoice.id;
    finalizeInvoice(emu, scope, invoice);
    if (invoice.status === 'open') chargeInvoice(emu, scope, invoice, paymentMethodOf(scope, sub), { onSession: false, nextAttempt: null });
  }
  sub.cancellation_details = details(sub, { comment: opts.comment ?? null, feedback: opts.feedback ?? null, reason: opts.reason ?? 'cancellation_requested' });
  sub.canceled_at = now;
  endSubscription(emu, scope, sub, opts.reason ?? 'cancellation_requested');
  return sub;
}

function prorationLine(
  scope: Scope,
  sub: Stripe.Subscription,
  item: Stripe.SubscriptionItem,
  price: Stripe.Price,
  quantity: number,
  now: number,
  p: { start: number; end: number },
  sign: 1 | -1,
): Stripe.InvoiceLineItem {
  const fraction = p.end > p.start ? Math.max(0, p.end - now) / (p.end - p.start) : 0;
  const amount = sign * Math.round((price.unit_amount ?? 0) * quantity * fraction);
  const name = productName(scope, price);
  const date = new Date(now * 1000).toISOString().slice(0, 10);
  return buildLine(sub, {
    item: { ...item, price },
    amount,
    quantity,
    description: sign < 0 ? `Unused time on ${quantity} × ${name} after ${date}` : `Remaining time on ${quantity} × ${name} after ${date}`,
    period: { start: now, end: p.end },
    proration: true,
    taxRates: taxRatesFor(sub, item),
  });
}

export interface ItemChange {
  id?: string;
  price?: Stripe.Price;
  quantity?: number;
  deleted?: boolean;
  taxRates?: Stripe.TaxRate[];
  metadata?: Record<string, string>;
}

export interface UpdateInput {
  items?: ItemChange[];
  prorationBehavior: 'create_prorations' | 'always_invoice' | 'none';
  /** Prorate as of this time instead of now (`proration_date`, as a preview was computed). */
  prorationDate?: number;
  cancelAtPeriodEnd?: boolean;
  cancelAt?: number | null;
  metadata?: Record<string, string>;
  defaultPaymentMethod?: string | null;
  pauseCollection?: Stripe.Subscription.PauseCollection | null;
  defaultTaxRates?: Stripe.TaxRate[];
  description?: string | null;
  trialEndNow?: boolean;
  /** `billing_cycle_anchor[type]=now`: a new period starts now and is invoiced at once, the unused time credited. */
  resetAnchor?: boolean;
  applicationFeePercent?: number | null;
  cancellationDetails?: { comment?: string | null; feedback?: Stripe.Subscription.CancellationDetails.Feedback | null };
  /** `discounts[]`: the subscription's new list (an empty list removes them all). */
  discounts?: DiscountSpec[];
}

/** What a change of items does to the subscription's money: proration lines, and whether a new period starts. */
export interface ItemsOutcome {
  prorationLines: Stripe.InvoiceLineItem[];
  /** An interval change: Stripe resets the billing cycle to now and invoices the new period at once. */
  resetPeriod: boolean;
}

/**
 * Applies item changes to `sub` (the subscription itself on an update, a copy of it on a preview)
 * and returns the prorations, computed as of `prorationDate` (Stripe prorates to the second).
 * `register` is false for a preview, whose new items must not become findable.
 */
export function applyItemChanges(
  scope: Scope,
  sub: Stripe.Subscription,
  changes: ItemChange[],
  behavior: UpdateInput['prorationBehavior'],
  prorationDate: number,
  now: number,
  register: boolean,
): ItemsOutcome {
  const p = period(sub);
  const prorationLines: Stripe.InvoiceLineItem[] = [];
  let resetPeriod = false;
  for (const change of changes) {
    const existing = change.id ? sub.items.data.find((i) => i.id === change.id) : undefined;
    if (change.id && !existing) throw errors.notFound('subscription item', change.id, 'items');
    if (existing && change.deleted) {
      if (behavior !== 'none') prorationLines.push(prorationLine(scope, sub, existing, existing.price, existing.quantity ?? 1, prorationDate, p, -1));
      sub.items.data = sub.items.data.filter((i) => i !== existing);
      continue;
    }
    const newPrice = change.price ?? existing?.price;
    if (!newPrice) throw errors.missing('items[0][price]');
    if (newPrice.recurring && recurringOf(sub) && (newPrice.recurring.interval !== recurringOf(sub).interval || newPrice.recurring.interval_count !== recurringOf(sub).interval_count)) {
      if (sub.items.data.length > 1 && !existing) {
        throw errors.invalid('All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.', 'items');
      }
      // Stripe resets the billing cycle when the interval changes, and invoices at once.
      resetPeriod = true;
    }
    const quantity = change.quantity ?? existing?.quantity ?? 1;
    if (existing) {
      const priceChanged = newPrice.id !== existing.price.id;
      const qtyChanged = quantity !== existing.quantity;
      if ((priceChanged || qtyChanged) && behavior !== 'none' && sub.status !== 'trialing') {
        prorationLines.push(prorationLine(scope, sub, existing, existing.price, existing.quantity ?? 1, prorationDate, p, -1));
        if (!resetPeriod) prorationLines.push(prorationLine(scope, sub, existing, newPrice, quantity, prorationDate, p, 1));
      }
      existing.price = newPrice;
      existing.plan = planOf(newPrice);
      if (isMetered(newPrice)) delete existing.quantity;
      else existing.quantity = quantity;
      if (change.taxRates) existing.tax_rates = change.taxRates;
      if (change.metadata) existing.metadata = change.metadata;
    } else {
      const item = buildItem(scope, sub, { price: newPrice, quantity, taxRates: change.taxRates ?? null, metadata: change.metadata ?? {} }, now, p, register);
      sub.items.data.push(item);
      if (behavior !== 'none' && sub.status !== 'trialing' && !resetPeriod) prorationLines.push(prorationLine(scope, sub, item, newPrice, quantity, prorationDate, p, 1));
    }
  }
  if (sub.items.data.length === 0) throw errors.invalid('A subscription must have at least one active plan.', 'items');
  // Usage is billed in arrears, never prorated: Stripe makes no proration lines for metered prices.
  const prorated = prorationLines.filter((l) => {
    const price = l.pricing?.price_details?.price;
    const found = typeof price === 'string' ? scope.prices.get(price) : undefined;
    return !found || !isMetered(found);
  });
  return { prorationLines: prorated, resetPeriod };
}

/** What a change bills: an invoice at once, or lines carried to the next invoice. */
export interface ChangeBilling {
  /** The invoice the change creates at once (a new period, or `always_invoice` prorations). */
  now?: { lines: Stripe.InvoiceLineItem[]; period: { start: number; end: number } };
  /** The lines waiting for the next invoice after the change (earlier ones first). */
  carried: Stripe.InvoiceLineItem[];
}

/**
 * Decides what a change bills, given the lines already waiting (`pending`). When a new period
 * starts (an interval change, or a trial ended now), `sub` is moved to it and the invoice covers it.
 * The update and the invoice preview both go through here, so a preview bills what the update will.
 */
export function billChange(
  scope: Scope,
  sub: Stripe.Subscription,
  pending: Stripe.InvoiceLineItem[],
  outcome: { prorationLines: Stripe.InvoiceLineItem[]; newPeriod: boolean },
  behavior: UpdateInput['prorationBehavior'],
  now: number,
): ChangeBilling {
  const p = period(sub);
  if (outcome.newPeriod) {
    const next = { start: now, end: nextBoundary(now, recurringOf(sub), now) };
    sub.billing_cycle_anchor = now;
    setPeriod(sub, next.start, next.end);
    // Metered items bill the usage of the period cut short, up to now.
    return { now: { lines: [...pending, ...outcome.prorationLines, ...periodLines(scope, sub, next, false, { start: p.start, end: now })], period: next }, carried: [] };
  }
  if (outcome.prorationLines.length > 0 && behavior === 'always_invoice') {
    return { now: { lines: [...pending, ...outcome.prorationLines], period: { start: now, end: p.end } }, carried: [] };
  }
  return { carried: [...pending, ...outcome.prorationLines] };
}

/**
 * Stripe's rule for `proration_date`: a time within the current period, and only where prorations
 * are made. Used by the update and the preview alike.
 */
export function checkProrationDate(sub: Stripe.Subscription, prorationDate: number | undefined, behavior: UpdateInput['prorationBehavior'], param: string): void {
  if (prorationDate === undefined) return;
  if (behavior === 'none') throw errors.invalid(`You cannot set \`${param}\` when \`proration_behavior\` is \`none\`.`, param);
  const p = period(sub);
  if (prorationDate < p.start || prorationDate > p.end) {
    throw errors.invalid(`\`${param}\` must be within the current billing period of the subscription (${p.start} to ${p.end}).`, param);
  }
}

/** Ids of the proration credits a mid-period `cancel_at` made (withdrawn while pending if it changes). */
const cancelAtCredits = new Set<string>();

export function updateSubscription(emu: Emulator, scope: Scope, sub: Stripe.Subscription, input: UpdateInput): Stripe.Subscription {
  const clock = emu.clockOf(scope, sub.customer);
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    const onlyMeta = !input.items && input.cancelAtPeriodEnd === undefined && input.pauseCollection === undefined && input.defaultPaymentMethod === undefined;
    if (!onlyMeta) throw errors.invalid('A canceled subscription can only update its cancellation_details and metadata.');
  }
  checkProrationDate(sub, input.prorationDate, input.prorationBehavior, 'proration_date');
  if (input.resetAnchor && sub.status === 'trialing' && !input.trialEndNow) {
    throw errors.invalid('The emulator does not model billing_cycle_anchor=now during a trial: end the trial with trial_end=now.', 'billing_cycle_anchor');
  }
  const now = clock.now();
  const before = snapshot(sub);
  const state = scope.subState(sub.id);
  const p = period(sub);
  const { prorationLines, resetPeriod } = applyItemChanges(scope, sub, input.items ?? [], input.prorationBehavior, input.prorationDate ?? now, now, true);

  if (input.metadata) sub.metadata = input.metadata;
  if (input.description !== undefined) sub.description = input.description;
  if (input.defaultPaymentMethod !== undefined) sub.default_payment_method = input.defaultPaymentMethod;
  if (input.defaultTaxRates) sub.default_tax_rates = input.defaultTaxRates;
  if (input.applicationFeePercent !== undefined) sub.application_fee_percent = input.applicationFeePercent;
  if (input.pauseCollection !== undefined) sub.pause_collection = input.pauseCollection;
  if (input.discounts) {
    const ids = attachDiscounts(emu, scope, input.discounts, { customer: sub.customer as string, subscription: sub.id });
    replaceDiscounts(emu, scope, sub.discounts, ids);
    sub.discounts = ids;
  }
  if (input.cancellationDetails) {
    sub.cancellation_details = details(sub, input.cancellationDetails);
  }
  if (input.cancelAtPeriodEnd !== undefined && input.cancelAtPeriodEnd !== sub.cancel_at_period_end) {
    sub.cancel_at_period_end = input.cancelAtPeriodEnd;
    sub.cancel_at = input.cancelAtPeriodEnd ? p.end : null;
    sub.canceled_at = input.cancelAtPeriodEnd ? now : null;
    sub.cancellation_details = details(sub, { reason: input.cancelAtPeriodEnd ? 'cancellation_requested' : null });
  } else if (input.cancelAt !== undefined) {
    if (input.cancelAt !== null && input.cancelAt < now) throw errors.invalid('cancel_at must be in the future.', 'cancel_at');
    // Ending mid-period credits the licensed items' time after cancel_at (per proration_behavior), as Stripe does;
    // a credit still waiting for an invoice is withdrawn when cancel_at changes again.
    state.pendingLines = state.pendingLines.filter((l) => !cancelAtCredits.has(l.id));
    if (input.cancelAt !== null && input.cancelAt < p.end && input.prorationBehavior !== 'none' && sub.status !== 'trialing') {
      for (const item of sub.items.data) {
        if (isMetered(item.price)) continue;
        const credit = prorationLine(scope, sub, item, item.price, item.quantity ?? 1, input.cancelAt, p, -1);
        cancelAtCredits.add(credit.id);
        prorationLines.push(credit);
      }
    }
    sub.cancel_at = input.cancelAt;
    sub.canceled_at = input.cancelAt === null ? null : now;
    sub.cancel_at_period_end = input.cancelAt !== null && input.cancelAt === p.end;
    if (input.cancelAt !== null) clock.schedule(input.cancelAt, key('cancel_at', sub), () => renew(emu, scope, sub));
    else clock.cancel(key('cancel_at', sub));
  }

  let invoice: Stripe.Invoice | undefined;
  const endTrialNow = input.trialEndNow === true && sub.status === 'trialing';
  // A trial ended without a payment method pauses or cancels the subscription when its
  // `trial_settings[end_behavior][missing_payment_method]` says so, as at the trial's own end.
  const missingPm = sub.trial_settings?.end_behavior.missing_payment_method ?? 'create_invoice';
  const trialStops = endTrialNow && missingPm !== 'create_invoice' && !paymentMethodOf(scope, sub) ? missingPm : undefined;
  const resetAnchor = input.resetAnchor === true && !resetPeriod && !endTrialNow;
  if (resetAnchor && input.prorationBehavior !== 'none' && sub.status !== 'trialing') {
    // The unused time of what the item changes did not already credit (metered items bill their usage instead).
    const credited = new Set(prorationLines.map((l) => l.parent?.subscription_item_details?.subscription_item));
    for (const item of sub.items.data) {
      if (!credited.has(item.id) && !isMetered(item.price)) prorationLines.push(prorationLine(scope, sub, item, item.price, item.quantity ?? 1, input.prorationDate ?? now, p, -1));
    }
  }
  const startsPeriod = resetPeriod || (endTrialNow && !trialStops) || resetAnchor;
  const billing = billChange(scope, sub, state.pendingLines, { prorationLines, newPeriod: startsPeriod }, input.prorationBehavior, now);
  if (endTrialNow) {
    sub.trial_end = now;
    sub.status = trialStops === 'pause' ? 'paused' : 'active';
    clock.cancel(key('trial_will_end', sub));
    if (trialStops) for (const k of ['renew', 'upcoming']) clock.cancel(key(k, sub));
  }
  state.pendingLines = billing.carried;
  if (billing.now) {
    invoice = createInvoice(emu, scope, sub, 'subscription_update', billing.now.lines, billing.now.period);
    sub.latest_invoice = invoice.id;
  }
  if (startsPeriod) scheduleRenewal(emu, scope, sub);
  changed(emu, scope, sub, before);
  if (trialStops === 'cancel') {
    endSubscription(emu, scope, sub, 'cancellation_requested');
    return sub;
  }
  if (invoice) collect(emu, scope, sub, invoice);
  refreshEntitlements(emu, scope, sub.customer as string);
  return sub;
}

/** `POST /v1/subscriptions/:id/pause`: status `paused`, no invoices until resumed. */
export function pauseSubscription(emu: Emulator, scope: Scope, sub: Stripe.Subscription): Stripe.Subscription {
  if (sub.status !== 'active' && sub.status !== 'trialing' && sub.status !== 'past_due') {
    throw errors.invalid(`A subscription with status ${sub.status} cannot be paused.`);
  }
  const clock = emu.clockOf(scope, sub.customer);
  for (const k of ['renew', 'retry', 'upcoming', 'trial_will_end']) clock.cancel(key(k, sub));
  mutate(emu, scope, sub, () => {
    sub.status = 'paused';
  });
  return sub;
}

/** `POST /v1/subscriptions/:id/resume`: a paused subscription starts a new period now (or keeps its anchor). */
export function resumeSubscription(emu: Emulator, scope: Scope, sub: Stripe.Subscription, anchor: 'now' | 'unchanged'): Stripe.Subscription {
  if (sub.status !== 'paused') throw errors.invalid('Only a paused subscription can be resumed.', undefined);
  const now = emu.clockOf(scope, sub.customer).now();
  let invoice: Stripe.Invoice | undefined;
  mutate(emu, scope, sub, () => {
    sub.status = 'active';
    if (anchor === 'now' || period(sub).end <= now) {
      const next = { start: now, end: nextBoundary(now, recurringOf(sub), now) };
      sub.billing_cycle_anchor = now;
      setPeriod(sub, next.start, next.end);
      invoice = createInvoice(emu, scope, sub, 'subscription_update', periodLines(scope, sub, next, false), next);
      sub.latest_invoice = invoice.id;
    }
  });
  scheduleRenewal(emu, scope, sub);
  if (invoice) collect(emu, scope, sub, invoice);
  return sub;
}
