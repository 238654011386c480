// Time-driven steps, tasks on the clock of the subscription's customer (emu.clockOf: its test
// clock, else the emulator-wide one): trial end, renewal at the period end (with `invoice.upcoming`
// before it), collection of the invoice, dunning (past_due → retries → unpaid or canceled),
// incomplete expiry, and paying an open invoice on request.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import type { Scope } from '../store/scope.js';
import { cycleAnchor } from './anchors.js';
import type { ChargeOutcome } from './cards.js';
import { refreshEntitlements } from './entitlements.js';
import { buildInvoice, chargeInvoice, createInvoice, finalizeInvoice, markUncollectible, voidInvoice } from './invoices.js';
import { nextBoundary } from './periods.js';
import { details, key, mutate, paymentMethodOf, period, periodLines, recurringOf, setPeriod } from './subscription-objects.js';

const DAY = 86_400;

export function scheduleTrial(emu: Emulator, scope: Scope, sub: Stripe.Subscription): void {
  const clock = emu.clockOf(scope, sub.customer);
  const end = sub.trial_end!;
  const warnAt = Math.max(clock.now(), end - emu.settings.trialWillEndDays * DAY);
  clock.schedule(warnAt, key('trial_will_end', sub), () => {
    if (sub.status === 'trialing') emu.events.publish(scope, 'customer.subscription.trial_will_end', sub);
  });
  clock.schedule(end, key('renew', sub), () => renew(emu, scope, sub));
}

export function scheduleRenewal(emu: Emulator, scope: Scope, sub: Stripe.Subscription): void {
  const clock = emu.clockOf(scope, sub.customer);
  const end = period(sub).end;
  clock.schedule(end, key('renew', sub), () => renew(emu, scope, sub));
  const upcomingAt = end - emu.settings.upcomingInvoiceDays * DAY;
  if (upcomingAt > clock.now() && !emu.events.muted) {
    clock.schedule(upcomingAt, key('upcoming', sub), () => upcoming(emu, scope, sub));
  }
}

/** `invoice.upcoming` carries the whole preview invoice, without an id (it does not exist yet), as in Stripe. */
function upcoming(emu: Emulator, scope: Scope, sub: Stripe.Subscription): void {
  if (sub.status !== 'active' && sub.status !== 'past_due' && sub.status !== 'trialing') return;
  if (sub.cancel_at_period_end) return;
  const { period: next, lines } = nextPeriodInvoice(scope, sub, scope.subState(sub.id).pendingLines);
  const { id: _none, ...preview } = buildInvoice(emu, scope, sub, 'upcoming', lines, next, null);
  emu.events.publish(scope, 'invoice.upcoming', { ...preview, next_payment_attempt: next.start });
}

/**
 * The invoice of the period after the current one, as the renewal at the period end bills it: the
 * lines waiting (prorations), then each item for the new period (metered ones for the usage of the
 * period ending). `invoice.upcoming` and the invoice preview show the same (the usage so far).
 */
export function nextPeriodInvoice(
  scope: Scope,
  sub: Stripe.Subscription,
  pending: Stripe.InvoiceLineItem[],
): { period: { start: number; end: number }; lines: Stripe.InvoiceLineItem[] } {
  const p = period(sub);
  const next = { start: p.end, end: nextBoundary(cycleAnchor(sub), recurringOf(sub), p.end) };
  return { period: next, lines: [...pending, ...periodLines(scope, sub, next, false, p)] };
}

/** The end of a billing period (or of a trial): cancel, pause, or invoice the next period. */
export function renew(emu: Emulator, scope: Scope, sub: Stripe.Subscription): void {
  if (sub.status === 'canceled' || sub.status === 'incomplete' || sub.status === 'incomplete_expired' || sub.status === 'paused') return;
  const now = emu.clockOf(scope, sub.customer).now();
  if (sub.cancel_at !== null && sub.cancel_at <= now) {
    // What is still waiting (a mid-period cancel_at's credit) goes on a final invoice, as in Stripe.
    const pending = scope.subState(sub.id).pendingLines;
    if (pending.length > 0) {
      scope.subState(sub.id).pendingLines = [];
      const invoice = createInvoice(emu, scope, sub, 'subscription_update', pending, { start: now, end: now });
      sub.latest_invoice = invoice.id;
      collect(emu, scope, sub, invoice);
    }
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
  const state = scope.subState(sub.id);
  const { period: next, lines } = nextPeriodInvoice(scope, sub, state.pendingLines);
  let invoice: Stripe.Invoice;
  mutate(emu, scope, sub, () => {
    setPeriod(sub, next.start, next.end);
    if (sub.status === 'trialing') sub.status = 'active';
    state.pendingLines = [];
    invoice = createInvoice(emu, scope, sub, 'subscription_cycle', lines, next);
    sub.latest_invoice = invoice.id;
  });
  scheduleRenewal(emu, scope, sub);
  collect(emu, scope, sub, invoice!);
}

/** Finalizes and charges a renewal or update invoice, honouring `pause_collection` and `unpaid`. */
export function collect(emu: Emulator, scope: Scope, sub: Stripe.Subscription, invoice: Stripe.Invoice): void {
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
  const clock = emu.clockOf(scope, sub.customer);
  const now = clock.now();
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
    clock.schedule(nextAt, key('retry', sub), () => {
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
  const clock = emu.clockOf(scope, sub.customer);
  clock.cancel(key('retry', sub));
  const wasIncomplete = sub.status === 'incomplete';
  clock.cancel(key('expire', sub));
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
  const customerPm = scope.customers.get(invoice.customer as string)?.invoice_settings.default_payment_method;
  const pm = paymentMethod ?? (sub ? paymentMethodOf(scope, sub) : typeof customerPm === 'string' ? customerPm : null);
  const outcome = chargeInvoice(emu, scope, invoice, pm, { onSession, nextAttempt: invoice.next_payment_attempt });
  if (outcome.kind === 'succeeded' && sub && sub.latest_invoice === invoice.id) invoicePaid(emu, scope, sub);
  return outcome;
}

export function expireIncomplete(emu: Emulator, scope: Scope, sub: Stripe.Subscription): void {
  if (sub.status !== 'incomplete') return;
  const invoice = typeof sub.latest_invoice === 'string' ? scope.invoices.get(sub.latest_invoice) : undefined;
  if (invoice) voidInvoice(emu, scope, invoice);
  sub.status = 'incomplete_expired';
  sub.ended_at = emu.clockOf(scope, sub.customer).now();
  emu.events.publish(scope, 'customer.subscription.deleted', sub);
}

/** Ends the subscription now (`canceled`), stops collection, and announces it. */
export function endSubscription(emu: Emulator, scope: Scope, sub: Stripe.Subscription, reason: Stripe.Subscription.CancellationDetails.Reason): void {
  const clock = emu.clockOf(scope, sub.customer);
  const now = clock.now();
  for (const k of ['renew', 'retry', 'expire', 'upcoming', 'trial_will_end']) clock.cancel(key(k, sub));
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
