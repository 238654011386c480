// The subscription engine: creation and first payment, renewals, dunning (past_due → retries →
// unpaid or canceled), incomplete expiry after 23 h, trials, price/quantity changes with
// prorations, cancel (now or at period end), pause and resume. Time-driven steps are tasks on
// the emulator clock, so advancing the clock runs them in timestamp order.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { listOf } from '../http/list.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { chargeOutcome, type ChargeOutcome } from './cards.js';
import { previousAttributes, snapshot } from './diff.js';
import { refreshEntitlements } from './entitlements.js';
import { buildInvoice, buildLine, chargeInvoice, createInvoice, finalizeInvoice, markUncollectible, voidInvoice } from './invoices.js';
import { nextBoundary } from './periods.js';

const DAY = 86_400;

export interface ItemInput {
  price: Stripe.Price;
  quantity: number;
  taxRates: Stripe.TaxRate[] | null;
  metadata: Record<string, string>;
}

export interface SubscriptionInput {
  customer: Stripe.Customer;
  items: ItemInput[];
  paymentBehavior: 'allow_incomplete' | 'default_incomplete' | 'error_if_incomplete' | 'pending_if_incomplete';
  defaultPaymentMethod: string | null;
  trialEnd: number | null;
  defaultTaxRates: Stripe.TaxRate[];
  metadata: Record<string, string>;
  description: string | null;
  applicationFeePercent: number | null;
  transferData: { destination: string; amount_percent: number | null } | null;
  cancelAtPeriodEnd: boolean;
  missingPaymentMethod: 'cancel' | 'create_invoice' | 'pause';
  /** Checkout announces the subscription as incomplete before charging; the API after. */
  announceBeforePayment: boolean;
  /** Bulk seeding: active and paid at once, no invoice, no events. */
  seeded?: boolean;
}

const key = (kind: string, sub: Stripe.Subscription) => `${kind}:${sub.id}`;

type Details = Stripe.Subscription.CancellationDetails;

/** The subscription's cancellation details with some fields replaced. */
function details(sub: Pick<Stripe.Subscription, 'cancellation_details'>, changes: Partial<Details>): Details {
  return { comment: null, feedback: null, feedback_option: null, reason: null, ...(sub.cancellation_details ?? {}), ...changes };
}

const sub0 = (): Pick<Stripe.Subscription, 'cancellation_details'> => ({ cancellation_details: null });

// Sub-objects the engine never mutates in place (it replaces them) are shared between
// subscriptions: at benchmark size (300,000 subscriptions) this halves the memory.
const NO_AUTOMATIC_TAX: Stripe.Subscription.AutomaticTax = Object.freeze({ disabled_reason: null, enabled: false, liability: null });
const INVOICE_SETTINGS: Stripe.Subscription.InvoiceSettings = Object.freeze({
  account_tax_ids: null,
  custom_fields: null,
  description: null,
  footer: null,
  issuer: Object.freeze({ type: 'self' as const }),
});
const PAYMENT_SETTINGS: Stripe.Subscription.PaymentSettings = Object.freeze({ payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' });
const TRIAL_SETTINGS = {
  cancel: Object.freeze({ end_behavior: Object.freeze({ billing_cycle_anchor: null, missing_payment_method: 'cancel' as const }) }),
  create_invoice: Object.freeze({ end_behavior: Object.freeze({ billing_cycle_anchor: null, missing_payment_method: 'create_invoice' as const }) }),
  pause: Object.freeze({ end_behavior: Object.freeze({ billing_cycle_anchor: null, missing_payment_method: 'pause' as const }) }),
};
const NOTHING: never[] = Object.freeze([]) as unknown as never[];

/** Plans are derived from prices; one per price object, rebuilt when the price changes. */
const plans = new WeakMap<Stripe.Price, { plan: Stripe.Plan; key: string }>();

function planOf(price: Stripe.Price): Stripe.Plan {
  const key = `${price.active}|${price.nickname}|${JSON.stringify(price.metadata)}`;
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

export function buildItem(scope: Scope, sub: Stripe.Subscription, input: ItemInput, now: number, period: { start: number; end: number }): Stripe.SubscriptionItem {
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
    quantity: input.quantity,
    subscription: sub.id,
    tax_rates: input.taxRates ?? NOTHING,
  };
  scope.itemOwners.set(item.id, sub.id);
  return item;
}

/** The recurring price that sets the period (all items of a subscription share one interval). */
function recurringOf(sub: Stripe.Subscription): Stripe.Price.Recurring {
  return sub.items.data[0].price.recurring!;
}

function period(sub: Stripe.Subscription): { start: number; end: number } {
  const item = sub.items.data[0];
  return { start: item.current_period_start, end: item.current_period_end };
}

function setPeriod(sub: Stripe.Subscription, start: number, end: number): void {
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

function taxRatesFor(sub: Stripe.Subscription, item: Stripe.SubscriptionItem): Stripe.TaxRate[] {
  return item.tax_rates && item.tax_rates.length > 0 ? item.tax_rates : (sub.default_tax_rates ?? []);
}

function productName(scope: Scope, price: Stripe.Price): string {
  const id = typeof price.product === 'string' ? price.product : price.product.id;
  return scope.products.get(id)?.name ?? id;
}

function periodLines(scope: Scope, sub: Stripe.Subscription, p: { start: number; end: number }, trial: boolean): Stripe.InvoiceLineItem[] {
  return sub.items.data.map((item) => {
    const metered = item.price.recurring?.usage_type === 'metered';
    const amount = trial || metered ? 0 : (item.price.unit_amount ?? 0) * (item.quantity ?? 1);
    const name = productName(scope, item.price);
    return buildLine(sub, {
      item,
      amount,
      quantity: item.quantity ?? 1,
      description: trial ? `Trial period for ${name}` : `${item.quantity ?? 1} × ${name}`,
      period: p,
      proration: false,
      taxRates: taxRatesFor(sub, item),
    });
  });
}

/** Publishes `customer.subscription.updated` (plus paused/resumed when the status says so) if anything changed. */
function changed(emu: Emulator, scope: Scope, sub: Stripe.Subscription, before: Stripe.Subscription): void {
  const diff = previousAttributes(before, sub);
  if (!diff) return;
  emu.events.publish(scope, 'customer.subscription.updated', sub, diff);
  if (before.status !== 'paused' && sub.status === 'paused') emu.events.publish(scope, 'customer.subscription.paused', sub);
  if (before.status === 'paused' && sub.status !== 'paused') emu.events.publish(scope, 'customer.subscription.resumed', sub);
  if (before.status !== sub.status) refreshEntitlements(emu, scope, sub.customer as string);
}

function mutate(emu: Emulator, scope: Scope, sub: Stripe.Subscription, fn: () => void): void {
  const before = snapshot(sub);
  fn();
  changed(emu, scope, sub, before);
}

export function createSubscription(emu: Emulator, scope: Scope, input: SubscriptionInput): Stripe.Subscription {
  if (input.items.length === 0) throw errors.missing('items');
  const first = input.items[0].price;
  for (const [i, it] of input.items.entries()) {
    if (it.price.type !== 'recurring' || !it.price.recurring) {
      throw errors.invalid(`The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`, `items[${i}][price]`);
    }
    if (it.price.currency !== first.currency) throw errors.invalid('All prices on a subscription must have the same currency.', `items[${i}][price]`);
    if (it.price.recurring.interval !== first.recurring!.interval || it.price.recurring.interval_count !== first.recurring!.interval_count) {
      throw errors.invalid('All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.', `items[${i}][price]`);
    }
  }
  const now = emu.clock.now();
  const trial = input.trialEnd !== null && input.trialEnd > now;
  if (input.paymentBehavior === 'error_if_incomplete' && !trial && !input.seeded) {
    const pm = input.defaultPaymentMethod ?? (input.customer.invoice_settings.default_payment_method as string | null);
    const outcome = chargeOutcome(pm ? scope.cards.get(pm) : undefined, true);
    if (outcome.kind !== 'succeeded') throw declineError(outcome);
  }
  const end = trial ? input.trialEnd! : nextBoundary(now, first.recurring!, now);
  const sub: Stripe.Subscription = {
    id: newId('sub'),
    object: 'subscription',
    application: null,
    application_fee_percent: input.applicationFeePercent,
    automatic_tax: NO_AUTOMATIC_TAX,
    billing_cycle_anchor: trial ? input.trialEnd! : now,
    billing_cycle_anchor_config: null,
    billing_mode: { type: 'flexible', flexible: { proration_discounts: 'itemized' }, updated_at: now },
    billing_schedules: NOTHING,
    billing_thresholds: null,
    cancel_at: input.cancelAtPeriodEnd ? end : null,
    cancel_at_period_end: input.cancelAtPeriodEnd,
    canceled_at: input.cancelAtPeriodEnd ? now : null,
    cancellation_details: details(sub0(), { reason: input.cancelAtPeriodEnd ? 'cancellation_requested' : null }),
    collection_method: 'charge_automatically',
    created: now,
    currency: first.currency,
    customer: input.customer.id,
    customer_account: null,
    days_until_due: null,
    default_payment_method: input.defaultPaymentMethod,
    default_source: null,
    default_tax_rates: input.defaultTaxRates.length > 0 ? input.defaultTaxRates : NOTHING,
    description: input.description,
    discounts: NOTHING,
    ended_at: null,
    invoice_settings: INVOICE_SETTINGS,
    items: listOf([], ''),
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: PAYMENT_SETTINGS,
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status: trial ? 'trialing' : 'incomplete',
    test_clock: null,
    transfer_data: input.transferData,
    trial_end: trial ? input.trialEnd : null,
    trial_settings: TRIAL_SETTINGS[input.missingPaymentMethod],
    trial_start: trial ? now : null,
  };
  sub.items = listOf(
    input.items.map((it) => buildItem(scope, sub, it, now, { start: now, end })),
    `/v1/subscription_items?subscription=${sub.id}`,
  );
  scope.subscriptions.add(sub);
  if (input.seeded) {
    sub.status = 'active';
    scheduleRenewal(emu, scope, sub);
    return sub;
  }

  const invoice = createInvoice(emu, scope, sub, 'subscription_create', periodLines(scope, sub, { start: now, end }, trial), { start: now, end });
  sub.latest_invoice = invoice.id;
  if (trial || input.announceBeforePayment || input.paymentBehavior === 'default_incomplete') {
    emu.events.publish(scope, 'customer.subscription.created', sub);
  }
  if (trial) {
    finalizeInvoice(emu, scope, invoice);
    scheduleTrial(emu, scope, sub);
    refreshEntitlements(emu, scope, sub.customer as string);
    return sub;
  }
  finalizeInvoice(emu, scope, invoice);
  const announced = input.announceBeforePayment || input.paymentBehavior === 'default_incomplete';
  const before = snapshot(sub);
  if (invoice.status === 'paid') sub.status = 'active';
  else if (input.paymentBehavior !== 'default_incomplete') {
    const outcome = chargeInvoice(emu, scope, invoice, paymentMethodOf(scope, sub), { onSession: true, nextAttempt: null });
    if (outcome.kind === 'succeeded') sub.status = 'active';
  }
  if (sub.status === 'incomplete') {
    emu.clock.schedule(now + emu.settings.incompleteExpirySeconds, key('expire', sub), () => expireIncomplete(emu, scope, sub));
  } else {
    scheduleRenewal(emu, scope, sub);
  }
  if (announced) changed(emu, scope, sub, before);
  else {
    emu.events.publish(scope, 'customer.subscription.created', sub);
    refreshEntitlements(emu, scope, sub.customer as string);
  }
  return sub;
}

function declineError(outcome: ChargeOutcome) {
  if (outcome.kind === 'declined') return errors.card(outcome.declineCode, outcome.message);
  return errors.card('authentication_required', 'Your card was declined. This transaction requires authentication.');
}

function scheduleTrial(emu: Emulator, scope: Scope, sub: Stripe.Subscription): void {
  const end = sub.trial_end!;
  const warnAt = Math.max(emu.clock.now(), end - emu.settings.trialWillEndDays * DAY);
  emu.clock.schedule(warnAt, key('trial_will_end', sub), () => {
    if (sub.status === 'trialing') emu.events.publish(scope, 'customer.subscription.trial_will_end', sub);
  });
  emu.clock.schedule(end, key('renew', sub), () => renew(emu, scope, sub));
}

function scheduleRenewal(emu: Emulator, scope: Scope, sub: Stripe.Subscription): void {
  const end = period(sub).end;
  emu.clock.schedule(end, key('renew', sub), () => renew(emu, scope, sub));
  const upcomingAt = end - emu.settings.upcomingInvoiceDays * DAY;
  if (upcomingAt > emu.clock.now() && !emu.events.muted) {
    emu.clock.schedule(upcomingAt, key('upcoming', sub), () => upcoming(emu, scope, sub));
  }
}

/** `invoice.upcoming` carries the whole preview invoice, without an id (it does not exist yet), as in Stripe. */
function upcoming(emu: Emulator, scope: Scope, sub: Stripe.Subscription): void {
  if (sub.status !== 'active' && sub.status !== 'past_due' && sub.status !== 'trialing') return;
  if (sub.cancel_at_period_end) return;
  const p = period(sub);
  const next = { start: p.end, end: nextBoundary(sub.billing_cycle_anchor, recurringOf(sub), p.end) };
  const lines = [...periodLines(scope, sub, next, false), ...scope.subState(sub.id).pendingLines];
  const { id: _none, ...preview } = buildInvoice(emu, scope, sub, 'upcoming', lines, next, null);
  emu.events.publish(scope, 'invoice.upcoming', { ...preview, next_payment_attempt: p.end });
}

/** The end of a billing period (or of a trial): cancel, pause, or invoice the next period. */
function renew(emu: Emulator, scope: Scope, sub: Stripe.Subscription): void {
  if (sub.status === 'canceled' || sub.status === 'incomplete' || sub.status === 'incomplete_expired' || sub.status === 'paused') return;
  const now = emu.clock.now();
  if (sub.cancel_at !== null && sub.cancel_at <= now) {
    endSubscription(emu, scope, sub, 'cancellation_requested');
    return;
  }
  const pm = paymentMethodOf(scope, sub);
  if (sub.status === 'trialing' && !pm && sub.trial_settings?.end_behavior.missing_payment_method !== 'create_invoice') {
    if (sub.trial_settings?.end_behavior.missing_payment_method === 'cancel') {
      endSubscription(emu, scope, sub, 'cancellation_requested');
    } else {
      mutate(emu, scope, sub, () => {
        sub.status = 'paused';
      });
    }
    return;
  }
  const p = period(sub);
  const next = { start: p.end, end: nextBoundary(sub.billing_cycle_anchor, recurringOf(sub), p.end) };
  const state = scope.subState(sub.id);
  let invoice: Stripe.Invoice;
  mutate(emu, scope, sub, () => {
    setPeriod(sub, next.start, next.end);
    if (sub.status === 'trialing') sub.status = 'active';
    const lines = [...state.pendingLines, ...periodLines(scope, sub, next, false)];
    state.pendingLines = [];
    invoice = createInvoice(emu, scope, sub, 'subscription_cycle', lines, next);
    sub.latest_invoice = invoice.id;
  });
  scheduleRenewal(emu, scope, sub);
  collect(emu, scope, sub, invoice!);
}

/** Finalizes and charges a renewal or update invoice, honouring `pause_collection` and `unpaid`. */
function collect(emu: Emulator, scope: Scope, sub: Stripe.Subscription, invoice: Stripe.Invoice): void {
  // Unpaid subscriptions keep generating invoices but leave them as drafts (Stripe's dunning setting).
  if (sub.status === 'unpaid') return;
  const pause = sub.pause_collection;
  if (pause) {
    if (pause.behavior === 'keep_as_draft') return;
    finalizeInvoice(emu, scope, invoice);
    if (invoice.status === 'open') {
      if (pause.behavior === 'void') voidInvoice(emu, scope, invoice);
      else markUncollectible(emu, scope, invoice);
    }
    return;
  }
  finalizeInvoice(emu, scope, invoice);
  if (invoice.status === 'paid') return;
  attemptRenewalPayment(emu, scope, sub, invoice, emu.settings.retryScheduleDays.length);
}

/** One automatic attempt; schedules the next retry or applies the final dunning action. */
function attemptRenewalPayment(emu: Emulator, scope: Scope, sub: Stripe.Subscription, invoice: Stripe.Invoice, retriesLeft: number): void {
  const now = emu.clock.now();
  const delays = emu.settings.retryScheduleDays;
  const nextAt = retriesLeft > 0 ? now + delays[delays.length - retriesLeft] * DAY : null;
  const outcome = chargeInvoice(emu, scope, invoice, paymentMethodOf(scope, sub), { onSession: false, nextAttempt: nextAt });
  if (outcome.kind === 'succeeded') {
    invoicePaid(emu, scope, sub);
    return;
  }
  mutate(emu, scope, sub, () => {
    if (sub.status === 'active') sub.status = 'past_due';
  });
  if (nextAt !== null) {
    emu.clock.schedule(nextAt, key('retry', sub), () => {
      if (invoice.status === 'open' && sub.status === 'past_due') attemptRenewalPayment(emu, scope, sub, invoice, retriesLeft - 1);
    });
    return;
  }
  if (emu.settings.pastDueFinalAction === 'cancel') {
    endSubscription(emu, scope, sub, 'payment_failed');
  } else {
    mutate(emu, scope, sub, () => {
      sub.status = 'unpaid';
    });
  }
}

/** After any invoice of the subscription is paid: back to active. */
export function invoicePaid(emu: Emulator, scope: Scope, sub: Stripe.Subscription): void {
  emu.clock.cancel(key('retry', sub));
  const wasIncomplete = sub.status === 'incomplete';
  emu.clock.cancel(key('expire', sub));
  mutate(emu, scope, sub, () => {
    if (sub.status === 'incomplete' || sub.status === 'past_due' || sub.status === 'unpaid') sub.status = 'active';
  });
  if (wasIncomplete) scheduleRenewal(emu, scope, sub);
}

/** Pays an open invoice on request (invoice pay endpoint, hosted invoice page, checkout 3DS). */
export function payInvoice(emu: Emulator, scope: Scope, invoice: Stripe.Invoice, paymentMethod: string | null, onSession: boolean): ChargeOutcome {
  if (invoice.status === 'paid') throw errors.invalid('Invoice is already paid', undefined);
  if (invoice.status !== 'open') throw errors.invalid(`You can only pay an invoice that is open (this one is ${invoice.status}).`);
  const subId = invoice.parent?.subscription_details?.subscription;
  const sub = typeof subId === 'string' ? scope.subscriptions.get(subId) : undefined;
  const pm = paymentMethod ?? (sub ? paymentMethodOf(scope, sub) : null);
  const outcome = chargeInvoice(emu, scope, invoice, pm, { onSession, nextAttempt: invoice.next_payment_attempt });
  if (outcome.kind === 'succeeded' && sub && sub.latest_invoice === invoice.id) invoicePaid(emu, scope, sub);
  return outcome;
}

function expireIncomplete(emu: Emulator, scope: Scope, sub: Stripe.Subscription): void {
  if (sub.status !== 'incomplete') return;
  const invoice = typeof sub.latest_invoice === 'string' ? scope.invoices.get(sub.latest_invoice) : undefined;
  if (invoice) voidInvoice(emu, scope, invoice);
  sub.status = 'incomplete_expired';
  sub.ended_at = emu.clock.now();
  emu.events.publish(scope, 'customer.subscription.deleted', sub);
}

/** Ends the subscription now (`canceled`), stops collection, and announces it. */
function endSubscription(emu: Emulator, scope: Scope, sub: Stripe.Subscription, reason: Stripe.Subscription.CancellationDetails.Reason): void {
  const now = emu.clock.now();
  for (const k of ['renew', 'retry', 'expire', 'upcoming', 'trial_will_end']) emu.clock.cancel(key(k, sub));
  sub.status = 'canceled';
  sub.ended_at = now;
  sub.canceled_at = sub.canceled_at ?? now;
  sub.cancellation_details = details(sub, { reason });
  for (const invoice of scope.invoices.values()) {
    if (invoice.parent?.subscription_details?.subscription === sub.id && invoice.status === 'open') {
      invoice.auto_advance = false;
      invoice.next_payment_attempt = null;
    }
  }
  emu.events.publish(scope, 'customer.subscription.deleted', sub);
  refreshEntitlements(emu, scope, sub.customer as string);
}

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
  const now = emu.clock.now();
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
  cancelAtPeriodEnd?: boolean;
  cancelAt?: number | null;
  metadata?: Record<string, string>;
  defaultPaymentMethod?: string | null;
  pauseCollection?: Stripe.Subscription.PauseCollection | null;
  defaultTaxRates?: Stripe.TaxRate[];
  description?: string | null;
  trialEndNow?: boolean;
  applicationFeePercent?: number | null;
  cancellationDetails?: { comment?: string | null; feedback?: Stripe.Subscription.CancellationDetails.Feedback | null };
}

export function updateSubscription(emu: Emulator, scope: Scope, sub: Stripe.Subscription, input: UpdateInput): Stripe.Subscription {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    const onlyMeta = !input.items && input.cancelAtPeriodEnd === undefined && input.pauseCollection === undefined && input.defaultPaymentMethod === undefined;
    if (!onlyMeta) throw errors.invalid('A canceled subscription can only update its cancellation_details and metadata.');
  }
  const now = emu.clock.now();
  const before = snapshot(sub);
  const state = scope.subState(sub.id);
  const p = period(sub);
  const prorationLines: Stripe.InvoiceLineItem[] = [];
  let resetPeriod = false;

  for (const change of input.items ?? []) {
    const existing = change.id ? sub.items.data.find((i) => i.id === change.id) : undefined;
    if (change.id && !existing) throw errors.notFound('subscription item', change.id, 'items');
    if (existing && change.deleted) {
      if (input.prorationBehavior !== 'none') prorationLines.push(prorationLine(scope, sub, existing, existing.price, existing.quantity ?? 1, now, p, -1));
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
      if ((priceChanged || qtyChanged) && input.prorationBehavior !== 'none' && sub.status !== 'trialing') {
        prorationLines.push(prorationLine(scope, sub, existing, existing.price, existing.quantity ?? 1, now, p, -1));
        if (!resetPeriod) prorationLines.push(prorationLine(scope, sub, existing, newPrice, quantity, now, p, 1));
      }
      existing.price = newPrice;
      existing.plan = planOf(newPrice);
      existing.quantity = quantity;
      if (change.taxRates) existing.tax_rates = change.taxRates;
      if (change.metadata) existing.metadata = change.metadata;
    } else {
      const item = buildItem(scope, sub, { price: newPrice, quantity, taxRates: change.taxRates ?? null, metadata: change.metadata ?? {} }, now, p);
      sub.items.data.push(item);
      if (input.prorationBehavior !== 'none' && sub.status !== 'trialing' && !resetPeriod) prorationLines.push(prorationLine(scope, sub, item, newPrice, quantity, now, p, 1));
    }
  }
  if (sub.items.data.length === 0) throw errors.invalid('A subscription must have at least one active plan.', 'items');

  if (input.metadata) sub.metadata = input.metadata;
  if (input.description !== undefined) sub.description = input.description;
  if (input.defaultPaymentMethod !== undefined) sub.default_payment_method = input.defaultPaymentMethod;
  if (input.defaultTaxRates) sub.default_tax_rates = input.defaultTaxRates;
  if (input.applicationFeePercent !== undefined) sub.application_fee_percent = input.applicationFeePercent;
  if (input.pauseCollection !== undefined) sub.pause_collection = input.pauseCollection;
  if (input.cancellationDetails) {
    sub.cancellation_details = details(sub, input.cancellationDetails);
  }
  if (input.cancelAtPeriodEnd !== undefined && input.cancelAtPeriodEnd !== sub.cancel_at_period_end) {
    sub.cancel_at_period_end = input.cancelAtPeriodEnd;
    sub.cancel_at = input.cancelAtPeriodEnd ? p.end : null;
    sub.canceled_at = input.cancelAtPeriodEnd ? now : null;
    sub.cancellation_details = details(sub, { reason: input.cancelAtPeriodEnd ? 'cancellation_requested' : null });
  } else if (input.cancelAt !== undefined) {
    sub.cancel_at = input.cancelAt;
    sub.canceled_at = input.cancelAt === null ? null : now;
    sub.cancel_at_period_end = input.cancelAt !== null && input.cancelAt === p.end;
    if (input.cancelAt !== null) emu.clock.schedule(input.cancelAt, key('cancel_at', sub), () => renew(emu, scope, sub));
    else emu.clock.cancel(key('cancel_at', sub));
  }

  let invoice: Stripe.Invoice | undefined;
  const endTrialNow = input.trialEndNow && sub.status === 'trialing';
  if (resetPeriod || endTrialNow) {
    const next = { start: now, end: nextBoundary(now, recurringOf(sub), now) };
    sub.billing_cycle_anchor = now;
    setPeriod(sub, next.start, next.end);
    if (endTrialNow) {
      sub.trial_end = now;
      sub.status = 'active';
      emu.clock.cancel(key('trial_will_end', sub));
    }
    const lines = [...state.pendingLines, ...prorationLines, ...periodLines(scope, sub, next, false)];
    state.pendingLines = [];
    invoice = createInvoice(emu, scope, sub, 'subscription_update', lines, next);
    sub.latest_invoice = invoice.id;
    scheduleRenewal(emu, scope, sub);
  } else if (prorationLines.length > 0) {
    if (input.prorationBehavior === 'always_invoice') {
      const lines = [...state.pendingLines, ...prorationLines];
      state.pendingLines = [];
      invoice = createInvoice(emu, scope, sub, 'subscription_update', lines, { start: now, end: p.end });
      sub.latest_invoice = invoice.id;
    } else {
      state.pendingLines.push(...prorationLines);
    }
  }
  changed(emu, scope, sub, before);
  if (invoice) collect(emu, scope, sub, invoice);
  refreshEntitlements(emu, scope, sub.customer as string);
  return sub;
}

/** `POST /v1/subscriptions/:id/pause`: status `paused`, no invoices until resumed. */
export function pauseSubscription(emu: Emulator, scope: Scope, sub: Stripe.Subscription): Stripe.Subscription {
  if (sub.status !== 'active' && sub.status !== 'trialing' && sub.status !== 'past_due') {
    throw errors.invalid(`A subscription with status ${sub.status} cannot be paused.`);
  }
  for (const k of ['renew', 'retry', 'upcoming', 'trial_will_end']) emu.clock.cancel(key(k, sub));
  mutate(emu, scope, sub, () => {
    sub.status = 'paused';
  });
  return sub;
}

/** `POST /v1/subscriptions/:id/resume`: a paused subscription starts a new period now (or keeps its anchor). */
export function resumeSubscription(emu: Emulator, scope: Scope, sub: Stripe.Subscription, anchor: 'now' | 'unchanged'): Stripe.Subscription {
  if (sub.status !== 'paused') throw errors.invalid('Only a paused subscription can be resumed.', undefined);
  const now = emu.clock.now();
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
