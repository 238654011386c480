// `POST /v1/invoices/create_preview` for a change to an existing subscription: the change is made
// on a copy of the subscription through the same steps as the update (subscription-changes.ts),
// so that the preview shows what the update then bills; nothing is stored, announced or scheduled.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { errors, StripeApiError } from '../http/errors.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { buildInvoice } from './invoices.js';
import { applyItemChanges, billChange, checkProrationDate, type ItemChange, type UpdateInput } from './subscription-changes.js';
import { period } from './subscription-objects.js';
import { nextPeriodInvoice } from './subscription-renewal.js';

export interface PreviewInput {
  items?: ItemChange[];
  prorationBehavior: UpdateInput['prorationBehavior'];
  prorationDate?: number;
  cancelAtPeriodEnd?: boolean;
}

/** Stripe's answer when a subscription will not invoice again. */
function noUpcomingInvoice(sub: Stripe.Subscription): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    code: 'invoice_upcoming_none',
    message: `No upcoming invoices for customer: ${sub.customer as string}`,
    doc_url: 'https://stripe.com/docs/error-codes/invoice-upcoming-none',
  });
}

/**
 * The invoice that changing `sub` as `input` says would produce: the one the change creates at once
 * (an interval change starts and bills a new period; `always_invoice` bills the prorations now),
 * otherwise the next invoice at the period end, with the prorations carried to it. Its id is an
 * `upcoming_in_` id, as the SDK's types of this API version describe a preview's.
 */
export function previewInvoice(emu: Emulator, scope: Scope, sub: Stripe.Subscription, input: PreviewInput): Stripe.Invoice {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') throw noUpcomingInvoice(sub);
  checkProrationDate(sub, input.prorationDate, input.prorationBehavior, 'subscription_details[proration_date]');
  const now = emu.clockOf(scope, sub.customer).now();
  // A deep copy: the change is made on it, never on the subscription (items, prices and all).
  const draft = structuredClone(sub);
  const outcome = applyItemChanges(scope, draft, input.items ?? [], input.prorationBehavior, input.prorationDate ?? now, now, false);
  const pending = scope.subState(sub.id).pendingLines;
  const billing = billChange(scope, draft, pending, { prorationLines: outcome.prorationLines, newPeriod: outcome.resetPeriod }, input.prorationBehavior, now);
  const id = newId('upcoming_in');
  const preview = (reason: Stripe.Invoice.BillingReason, lines: Stripe.InvoiceLineItem[], p: { start: number; end: number }, nextAttempt: number | null) => ({
    ...buildInvoice(emu, scope, draft, reason, lines, p, id),
    next_payment_attempt: nextAttempt,
    // Never sent to anyone: it does not exist.
    webhooks_delivered_at: null,
  });
  if (billing.now) return preview('subscription_update', billing.now.lines, billing.now.period, null);

  // The next invoice is the renewal at the period end, unless the subscription ends there.
  const cancelsAtPeriodEnd = input.cancelAtPeriodEnd ?? draft.cancel_at_period_end;
  const end = period(draft).end;
  if (cancelsAtPeriodEnd || (input.cancelAtPeriodEnd === undefined && draft.cancel_at !== null && draft.cancel_at <= end)) throw noUpcomingInvoice(sub);
  if (sub.status === 'paused') throw noUpcomingInvoice(sub);
  const next = nextPeriodInvoice(scope, draft, billing.carried);
  return preview('upcoming', next.lines, next.period, next.period.start);
}

/** Not modelled here, but Stripe's: refused as unsupported rather than ignored, so that a preview never silently differs. */
export function unsupportedPreviewParam(param: string): StripeApiError {
  return errors.invalid(`The emulator does not implement \`${param}\` on invoice previews.`, param);
}
