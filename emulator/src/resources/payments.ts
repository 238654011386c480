// PaymentIntents (create / retrieve / update / list / confirm / capture / cancel), Charges
// (retrieve / update / list), Refunds (create / retrieve / update / list) and InvoicePayments
// (retrieve / list), with the invoice's includable `payments` and `confirmation_secret`.
// The engine is billing/payment-intents.ts; this file reads parameters and answers as Stripe does
// (a declined confirmation is a 402 card_error carrying the PaymentIntent).
import type Stripe from 'stripe';
import type { ChargeOutcome } from '../billing/cards.js';
import { previousAttributes, snapshot } from '../billing/diff.js';
import { afterIntentAttempt } from '../billing/invoice-payments.js';
import {
  attemptPayment,
  cancelPaymentIntent,
  capturePaymentIntent,
  createPaymentIntent,
  createRefund,
  invoiceIdOfIntent,
  invoiceIntent,
  requireStatus,
} from '../billing/payment-intents.js';
import type { Emulator } from '../emulator.js';
import { errors, StripeApiError } from '../http/errors.js';
import { registerExpandable } from '../http/expand.js';
import { createdFilter, listOf, pageOf } from '../http/list.js';
import type { Params } from '../http/params.js';
import type { ApiRouter } from '../http/routes.js';
import type { Scope } from '../store/scope.js';
import { nullableStr, shippingParam, updateWithEvent } from './common.js';
import { resolvePaymentMethod } from './payment-methods.js';

registerExpandable('invoice', 'payments', (owner, scope) => {
  const id = String(owner.id);
  return listOf([...scope.invoicePayments.values()].filter((p) => p.invoice === id).reverse(), `/v1/invoice_payments?invoice=${id}`);
});
registerExpandable('invoice', 'confirmation_secret', (owner, scope) => {
  const pi = invoiceIntent(scope, String(owner.id));
  return pi && owner.status === 'open' && pi.client_secret ? { client_secret: pi.client_secret, type: 'payment_intent' } : null;
});

const SETUP_FUTURE_USAGE = ['off_session', 'on_session'] as const;

/** `off_session=true|one_off|recurring` → the customer is not present. */
export function offSessionParam(p: Params): boolean {
  const v = p.str('off_session');
  if (v === undefined || v === '' || v === 'false') return false;
  if (v === 'true' || v === 'one_off' || v === 'recurring') return true;
  throw errors.invalid(`Invalid off_session: must be a boolean, one_off or recurring`, 'off_session');
}

/** The payment method parameter for an intent of `customer`: a pm of another customer is refused. */
export function intentPaymentMethod(emu: Emulator, scope: Scope, id: string, customer: string | null): string {
  const pmId = resolvePaymentMethod(emu, scope, id, 'payment_method');
  const owner = scope.paymentMethods.get(pmId)?.customer ?? null;
  if (owner && owner !== customer) {
    throw errors.invalid(
      customer
        ? `The provided PaymentMethod was previously used with a different Customer (${String(owner)}).`
        : `The provided PaymentMethod belongs to a Customer (${String(owner)}): pass \`customer\` too.`,
      'payment_method',
    );
  }
  return pmId;
}

/** The 402 Stripe answers for a confirmation that did not succeed, with the intent in it. */
export function declined(pi: Stripe.PaymentIntent): StripeApiError {
  const e = pi.last_payment_error!;
  return new StripeApiError(402, {
    type: 'card_error',
    ...lastErrorFields(e),
    ...(e.charge ? { charge: e.charge } : {}),
    payment_intent: structuredClone(pi),
  });
}

/** What a 402 repeats of an intent's last error (Stripe leaves absent fields out). */
export function lastErrorFields(e: Stripe.PaymentIntent.LastPaymentError | Stripe.SetupIntent.LastSetupError) {
  return {
    message: e.message ?? 'Your card was declined.',
    ...(e.code ? { code: e.code } : {}),
    ...(e.decline_code ? { decline_code: e.decline_code } : {}),
    ...(e.doc_url ? { doc_url: e.doc_url } : {}),
    ...(e.payment_method ? { payment_method: e.payment_method } : {}),
  };
}

/** Confirms with what the call gives; the invoice of an invoice's PaymentIntent follows. */
function confirm(emu: Emulator, scope: Scope, pi: Stripe.PaymentIntent, p: Params): Stripe.PaymentIntent {
  requireStatus(pi, ['requires_payment_method', 'requires_confirmation', 'requires_action'], 'confirm');
  const pm = p.str('payment_method');
  if (pm) pi.payment_method = intentPaymentMethod(emu, scope, pm, typeof pi.customer === 'string' ? pi.customer : null);
  const sfu = p.has('setup_future_usage') ? p.str('setup_future_usage') : undefined;
  if (sfu !== undefined) pi.setup_future_usage = sfu === '' ? null : (p.oneOf('setup_future_usage', SETUP_FUTURE_USAGE) ?? null);
  if (p.has('receipt_email')) pi.receipt_email = p.str('receipt_email') || null;
  const capture = p.oneOf('capture_method', ['automatic', 'automatic_async', 'manual'] as const);
  if (capture) pi.capture_method = capture;
  const paymentMethod = typeof pi.payment_method === 'string' ? pi.payment_method : null;
  const outcome: ChargeOutcome = attemptPayment(emu, scope, pi, { offSession: offSessionParam(p), returnUrl: p.str('return_url') || null, authenticationFailsOffSession: true });
  afterIntentAttempt(emu, scope, pi, paymentMethod, outcome);
  if (outcome.kind === 'declined') throw declined(pi);
  return pi;
}

/**
 * `allowed_payment_method_types` and `automatic_payment_methods` of a PaymentIntent or SetupIntent:
 * one or the other, as Stripe says, and only cards, which is all the emulator models.
 */
export function paymentMethodTypes(p: Params) {
  const types = p.strings('allowed_payment_method_types');
  const apm = p.obj('automatic_payment_methods');
  if (types && apm?.bool('enabled')) {
    throw errors.invalid('You may only specify one of these parameters: allowed_payment_method_types, automatic_payment_methods.', 'automatic_payment_methods');
  }
  for (const [i, t] of (types ?? []).entries()) {
    if (t !== 'card') throw errors.invalid(`The emulator supports the card payment method type only (got ${t}).`, `allowed_payment_method_types[${i}]`);
  }
  return { types, apm };
}

function createIntent(emu: Emulator, scope: Scope, p: Params): Stripe.PaymentIntent {
  const amount = p.int('amount');
  if (amount === undefined) throw errors.missing('amount');
  const currency = p.reqStr('currency').toLowerCase();
  const customer = p.str('customer') || null;
  if (customer) scope.customers.require(customer, 'customer');
  const pm = p.str('payment_method');
  const { types, apm } = paymentMethodTypes(p);
  const confirmNow = p.bool('confirm') ?? false;
  if (!confirmNow && (p.has('off_session') || p.has('return_url'))) {
    throw errors.invalid(`You can only pass ${p.has('off_session') ? 'off_session' : 'return_url'} when confirm=true.`, p.has('off_session') ? 'off_session' : 'return_url');
  }
  const pi = createPaymentIntent(emu, scope, {
    amount,
    currency,
    customer,
    paymentMethod: pm ? intentPaymentMethod(emu, scope, pm, customer) : null,
    description: p.str('description') || null,
    metadata: p.metadata(),
    captureMethod: p.oneOf('capture_method', ['automatic', 'automatic_async', 'manual'] as const) ?? 'automatic_async',
    confirmationMethod: p.oneOf('confirmation_method', ['automatic', 'manual'] as const) ?? 'automatic',
    setupFutureUsage: p.oneOf('setup_future_usage', SETUP_FUTURE_USAGE) ?? null,
    receiptEmail: p.str('receipt_email') || null,
    // Since 2023-08-16 Stripe turns automatic payment methods on unless types are given.
    automaticPaymentMethods: !types && (apm?.bool('enabled') ?? true),
    allowedPaymentMethodTypes: types ?? null,
    paymentMethodTypes: ['card'],
    statementDescriptor: p.str('statement_descriptor') || null,
    statementDescriptorSuffix: p.str('statement_descriptor_suffix') || null,
    shipping: shippingParam(p.obj('shipping')),
  });
  if (!confirmNow) return pi;
  const outcome = attemptPayment(emu, scope, pi, { offSession: offSessionParam(p), returnUrl: p.str('return_url') || null, authenticationFailsOffSession: true });
  if (outcome.kind === 'declined') throw declined(pi);
  return pi;
}

function updateIntent(emu: Emulator, scope: Scope, pi: Stripe.PaymentIntent, p: Params): Stripe.PaymentIntent {
  requireStatus(pi, ['requires_payment_method', 'requires_confirmation', 'requires_action', 'requires_capture'], 'update');
  if (invoiceIdOfIntent(pi) && (p.has('amount') || p.has('currency') || p.has('customer'))) {
    throw errors.invalid('This PaymentIntent belongs to an invoice: its amount, currency and customer follow the invoice.', p.has('amount') ? 'amount' : p.has('currency') ? 'currency' : 'customer');
  }
  // Stripe sends no event for an update of a PaymentIntent.
  const amount = p.int('amount');
  if (amount !== undefined) {
    if (amount < 1) throw errors.invalid('Amount must be at least 1.', 'amount', 'amount_too_small');
    pi.amount = amount;
  }
  if (p.str('currency')) pi.currency = p.str('currency')!.toLowerCase();
  if (p.has('customer')) {
    const c = p.str('customer');
    if (c) scope.customers.require(c, 'customer');
    pi.customer = c || null;
  }
  pi.description = nullableStr(p, 'description', pi.description);
  pi.receipt_email = nullableStr(p, 'receipt_email', pi.receipt_email);
  pi.statement_descriptor = nullableStr(p, 'statement_descriptor', pi.statement_descriptor);
  pi.statement_descriptor_suffix = nullableStr(p, 'statement_descriptor_suffix', pi.statement_descriptor_suffix);
  pi.metadata = p.metadata('metadata', pi.metadata);
  if (p.has('setup_future_usage')) pi.setup_future_usage = p.isEmpty('setup_future_usage') ? null : (p.oneOf('setup_future_usage', SETUP_FUTURE_USAGE) ?? null);
  const capture = p.oneOf('capture_method', ['automatic', 'automatic_async', 'manual'] as const);
  if (capture) pi.capture_method = capture;
  const pm = p.str('payment_method');
  if (pm) {
    pi.payment_method = intentPaymentMethod(emu, scope, pm, typeof pi.customer === 'string' ? pi.customer : null);
    if (pi.status !== 'requires_capture') {
      pi.status = 'requires_confirmation';
      pi.next_action = null;
    }
  }
  return pi;
}

function chargeOf(scope: Scope, p: Params): Stripe.Charge {
  const chargeId = p.str('charge');
  const piId = p.str('payment_intent');
  if (chargeId && piId) throw errors.invalid('You may only specify one of these parameters: charge, payment_intent.', 'payment_intent');
  if (chargeId) return scope.charges.require(chargeId, 'charge');
  if (!piId) throw errors.invalid('One of the following params should be provided for this request: payment_intent or charge.', undefined, 'parameter_missing');
  const pi = scope.paymentIntents.require(piId, 'payment_intent');
  const charge = pi.latest_charge ? scope.charges.get(String(pi.latest_charge)) : undefined;
  if (!charge || pi.status !== 'succeeded') {
    throw errors.invalid(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, 'payment_intent', 'charge_not_refundable');
  }
  return charge;
}

export function paymentRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/payment_intents', [
    'allowed_payment_method_types', 'amount', 'capture_method', 'confirm', 'confirmation_method', 'currency', 'customer',
    'description', 'metadata', 'off_session', 'payment_method', 'receipt_email', 'return_url', 'setup_future_usage',
    'shipping[address][city]', 'shipping[address][country]', 'shipping[address][line1]', 'shipping[address][line2]',
    'shipping[address][postal_code]', 'shipping[address][state]', 'shipping[carrier]', 'shipping[name]', 'shipping[phone]',
    'shipping[tracking_number]', 'statement_descriptor', 'statement_descriptor_suffix',
  ], ({ scope, p }) => createIntent(emu, scope, p));
  r.add('GET', '/v1/payment_intents/:id', [], ({ scope, params }) => scope.paymentIntents.require(params.id));
  r.add('POST', '/v1/payment_intents/:id', [
    'amount', 'capture_method', 'currency', 'customer', 'description', 'metadata', 'payment_method', 'receipt_email',
    'setup_future_usage', 'statement_descriptor', 'statement_descriptor_suffix',
  ], ({ scope, params, p }) => updateIntent(emu, scope, scope.paymentIntents.require(params.id), p));
  r.add('GET', '/v1/payment_intents', ['created', 'customer', 'ending_before', 'limit', 'starting_after'], ({ scope, p }) => {
    const customer = p.str('customer');
    const created = createdFilter(p);
    return pageOf(scope.paymentIntents, p, '/v1/payment_intents', (pi) => (!customer || pi.customer === customer) && (!created || created(pi.created)));
  });
  r.add('POST', '/v1/payment_intents/:id/confirm', [
    'capture_method', 'off_session', 'payment_method', 'receipt_email', 'return_url', 'setup_future_usage',
  ], ({ scope, params, p }) => confirm(emu, scope, scope.paymentIntents.require(params.id), p));
  r.add('POST', '/v1/payment_intents/:id/capture', ['amount_to_capture'], ({ scope, params, p }) =>
    capturePaymentIntent(emu, scope, scope.paymentIntents.require(params.id), p.int('amount_to_capture')),
  );
  r.add('POST', '/v1/payment_intents/:id/cancel', ['cancellation_reason'], ({ scope, params, p }) => {
    const pi = scope.paymentIntents.require(params.id);
    if (invoiceIdOfIntent(pi)) throw errors.invalid('This PaymentIntent belongs to an invoice: void the invoice to cancel it.', undefined, 'payment_intent_unexpected_state');
    return cancelPaymentIntent(emu, scope, pi, p.oneOf('cancellation_reason', ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'] as const) ?? null);
  });

  r.add('GET', '/v1/charges/:id', [], ({ scope, params }) => scope.charges.require(params.id));
  r.add('POST', '/v1/charges/:id', ['description', 'metadata', 'receipt_email'], ({ scope, params, p }) => {
    const charge = scope.charges.require(params.id);
    return updateWithEvent(emu, scope, 'charge.updated', charge, () => {
      charge.description = nullableStr(p, 'description', charge.description);
      charge.receipt_email = nullableStr(p, 'receipt_email', charge.receipt_email);
      charge.metadata = p.metadata('metadata', charge.metadata);
    });
  });
  r.add('GET', '/v1/charges', ['created', 'customer', 'ending_before', 'limit', 'payment_intent', 'starting_after'], ({ scope, p }) => {
    const customer = p.str('customer');
    const intent = p.str('payment_intent');
    const created = createdFilter(p);
    return pageOf(scope.charges, p, '/v1/charges', (c) => (!customer || c.customer === customer) && (!intent || c.payment_intent === intent) && (!created || created(c.created)));
  });

  r.add('POST', '/v1/refunds', ['amount', 'charge', 'metadata', 'payment_intent', 'reason'], ({ scope, p }) =>
    createRefund(emu, scope, chargeOf(scope, p), {
      amount: p.int('amount'),
      reason: p.oneOf('reason', ['duplicate', 'fraudulent', 'requested_by_customer'] as const) ?? null,
      metadata: p.metadata(),
    }),
  );
  r.add('GET', '/v1/refunds/:id', [], ({ scope, params }) => scope.refunds.require(params.id));
  r.add('POST', '/v1/refunds/:id', ['metadata'], ({ scope, params, p }) => {
    const refund = scope.refunds.require(params.id);
    const before = snapshot(refund);
    refund.metadata = p.metadata('metadata', refund.metadata ?? {});
    const diff = previousAttributes(before, refund);
    // Stripe announces a refund's change twice: `refund.updated`, and `charge.refund.updated` for integrations older than the Refund object's events.
    if (diff) for (const type of ['refund.updated', 'charge.refund.updated']) emu.events.publish(scope, type, refund, diff);
    return refund;
  });
  r.add('GET', '/v1/refunds', ['charge', 'created', 'ending_before', 'limit', 'payment_intent', 'starting_after'], ({ scope, p }) => {
    const charge = p.str('charge');
    const intent = p.str('payment_intent');
    const created = createdFilter(p);
    return pageOf(scope.refunds, p, '/v1/refunds', (x) => (!charge || x.charge === charge) && (!intent || x.payment_intent === intent) && (!created || created(x.created)));
  });

  r.add('GET', '/v1/invoice_payments/:id', [], ({ scope, params }) => scope.invoicePayments.require(params.id));
  r.add('GET', '/v1/invoice_payments', ['created', 'ending_before', 'invoice', 'limit', 'starting_after', 'status'], ({ scope, p }) => {
    const invoice = p.str('invoice');
    const intent = p.obj('payment')?.str('payment_intent');
    const status = p.oneOf('status', ['canceled', 'open', 'paid'] as const);
    return pageOf(
      scope.invoicePayments,
      p,
      '/v1/invoice_payments',
      (x) => (!invoice || x.invoice === invoice) && (!intent || x.payment.payment_intent === intent) && (!status || x.status === status),
    );
  });
}
