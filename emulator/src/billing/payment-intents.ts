// PaymentIntents, the Charges their confirmations create, and Refunds of those charges. A
// confirmation charges the payment method's test card (billing/cards.ts decides the outcome):
// succeeded (or requires_capture with capture_method=manual), declined (a failed charge,
// `last_payment_error`, back to requires_payment_method) or requires_action (3D Secure, completed
// on the emulator's authentication page, pages/authenticate.ts). Invoices pay through one
// PaymentIntent each (created at finalization), with an InvoicePayment linking the two.
// Their times are the emulator-wide clock's even for a customer on a test clock: Stripe makes
// them in real time too (stripe/stripe-python#1183), test clocks being for billing objects.
import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { attachPaymentMethod } from '../resources/payment-methods.js';
import { chargeOutcome, type ChargeOutcome } from './cards.js';

export interface IntentInput {
  amount: number;
  currency: string;
  customer: string | null;
  paymentMethod: string | null;
  description: string | null;
  metadata: Record<string, string>;
  captureMethod: Stripe.PaymentIntent.CaptureMethod;
  confirmationMethod: Stripe.PaymentIntent.ConfirmationMethod;
  setupFutureUsage: Stripe.PaymentIntent.SetupFutureUsage | null;
  receiptEmail: string | null;
  automaticPaymentMethods: boolean;
  allowedPaymentMethodTypes: string[] | null;
  paymentMethodTypes: string[];
  statementDescriptor: string | null;
  statementDescriptorSuffix: string | null;
  /** Stored and shown only: a shipping address changes no amount. */
  shipping?: Stripe.PaymentIntent.Shipping | null;
}

export interface ConfirmOptions {
  /** The customer is not present: a card that wants 3D Secure fails with authentication_required. */
  offSession: boolean;
  /** Where the authentication page sends the customer back (next_action redirect_to_url). */
  returnUrl: string | null;
}

export function clientSecret(id: string): string {
  return `${id}_secret_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

export function createPaymentIntent(emu: Emulator, scope: Scope, input: IntentInput): Stripe.PaymentIntent {
  if (!Number.isInteger(input.amount) || input.amount < 1) throw errors.invalid('Amount must be at least 1 (in the currency\'s smallest unit).', 'amount', 'amount_too_small');
  const id = newId('pi');
  const pi: Stripe.PaymentIntent = {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: input.allowedPaymentMethodTypes as Stripe.PaymentIntent.AllowedPaymentMethodType[] | null,
    amount: input.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: input.automaticPaymentMethods ? { allow_redirects: 'always', enabled: true } : null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: input.captureMethod,
    client_secret: clientSecret(id),
    confirmation_method: input.confirmationMethod,
    created: emu.clock.now(),
    currency: input.currency,
    customer: input.customer,
    customer_account: null,
    description: input.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: input.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: input.paymentMethodTypes,
    payment_record: null,
    processing: null,
    receipt_email: input.receiptEmail,
    review: null,
    setup_future_usage: input.setupFutureUsage,
    shipping: input.shipping ?? null,
    source: null,
    statement_descriptor: input.statementDescriptor,
    statement_descriptor_suffix: input.statementDescriptorSuffix,
    status: input.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
  scope.paymentIntents.add(pi);
  emu.pageIndex.set(id, scope);
  emu.events.publish(scope, 'payment_intent.created', pi);
  return pi;
}

const CONFIRMABLE: Stripe.PaymentIntent.Status[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

const PAST: Record<string, string> = { confirm: 'confirmed', cancel: 'canceled', capture: 'captured', update: 'updated' };

export function requireStatus(pi: { id: string; status: string }, allowed: readonly string[], action: string, kind = 'PaymentIntent'): void {
  if (!allowed.includes(pi.status)) {
    throw errors.invalid(
      `This ${kind}'s ${action} could not be performed because it has a status of ${pi.status}. Only a ${kind} with one of the following statuses may be ${PAST[action] ?? action}: ${allowed.join(', ')}.`,
      undefined,
      kind === 'PaymentIntent' ? 'payment_intent_unexpected_state' : 'setup_intent_unexpected_state',
    );
  }
}

/**
 * One confirmation of the PaymentIntent with its payment method (which must be set). Never throws
 * for a decline: the outcome is on the PI (and in the events); the API layer answers 402 for it.
 */
export function attemptPayment(emu: Emulator, scope: Scope, pi: Stripe.PaymentIntent, opts: ConfirmOptions & { authenticationFailsOffSession: boolean }): ChargeOutcome {
  requireStatus(pi, CONFIRMABLE, 'confirm');
  const pmId = pi.payment_method as string | null;
  if (!pmId) {
    throw errors.invalid('You cannot confirm this PaymentIntent because it\'s missing a payment method. To confirm the PaymentIntent with cus_..., specify a payment method attached to this customer along with the customer ID.', undefined, 'payment_intent_unexpected_state');
  }
  let outcome = chargeOutcome(scope.cards.get(pmId), !opts.offSession);
  if (outcome.kind === 'requires_action' && opts.offSession && opts.authenticationFailsOffSession) {
    outcome = { kind: 'declined', declineCode: 'authentication_required', message: 'Your card was declined. This transaction requires authentication.' };
  }
  pi.next_action = null;
  if (outcome.kind === 'declined') fail(emu, scope, pi, outcome);
  else if (outcome.kind === 'requires_action') {
    pi.status = 'requires_action';
    pi.last_payment_error = null;
    const url = `${emu.publicUrl}/authenticate/${pi.id}`;
    pi.next_action = opts.returnUrl
      ? { type: 'redirect_to_url', redirect_to_url: { return_url: opts.returnUrl, url } }
      : { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: url, source: pmId } };
    emu.events.publish(scope, 'payment_intent.requires_action', pi);
  } else succeed(emu, scope, pi);
  return outcome;
}

/** The authentication page's answer for a PaymentIntent waiting in requires_action. */
export function authenticatePayment(emu: Emulator, scope: Scope, pi: Stripe.PaymentIntent, success: boolean): ChargeOutcome {
  if (pi.status !== 'requires_action') throw errors.invalid(`This PaymentIntent is ${pi.status}, not waiting for authentication.`, undefined, 'payment_intent_unexpected_state');
  pi.next_action = null;
  if (!success) {
    const pm = scope.paymentMethods.get(String(pi.payment_method));
    pi.status = 'requires_payment_method';
    pi.payment_method = null;
    pi.last_payment_error = {
      type: 'invalid_request_error',
      code: 'payment_intent_authentication_failure',
      doc_url: 'https://stripe.com/docs/error-codes/payment-intent-authentication-failure',
      message: 'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
      ...(pm ? { payment_method: structuredClone(pm) } : {}),
    };
    emu.events.publish(scope, 'payment_intent.payment_failed', pi);
    return { kind: 'declined', declineCode: 'authentication_required', message: pi.last_payment_error.message! };
  }
  // A card that asks once (4000002500003155) no longer asks after this; the others ask every time.
  const card = scope.cards.get(String(pi.payment_method));
  if (card) card.authenticated = true;
  succeed(emu, scope, pi);
  return { kind: 'succeeded' };
}

function outcomeOf(result: ChargeOutcome): Stripe.Charge.Outcome {
  if (result.kind === 'declined') {
    return {
      advice_code: result.declineCode === 'insufficient_funds' ? 'try_again_later' : 'do_not_try_again',
      network_advice_code: null,
      network_decline_code: null,
      network_status: 'declined_by_network',
      reason: result.declineCode,
      risk_level: 'normal',
      seller_message: 'The bank did not return any further details with this decline.',
      type: 'issuer_declined',
    };
  }
  return {
    advice_code: null,
    network_advice_code: null,
    network_decline_code: null,
    network_status: 'approved_by_network',
    reason: null,
    risk_level: 'normal',
    seller_message: 'Payment complete.',
    type: 'authorized',
  };
}

function createCharge(emu: Emulator, scope: Scope, pi: Stripe.PaymentIntent, result: ChargeOutcome, captured: boolean): Stripe.Charge {
  const pm = scope.paymentMethods.get(String(pi.payment_method));
  const card = pm?.card;
  const succeeded = result.kind === 'succeeded';
  const charge: Stripe.Charge = {
    id: newId('ch'),
    object: 'charge',
    amount: pi.amount,
    amount_captured: succeeded && captured ? pi.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: pm ? structuredClone(pm.billing_details) : { address: null, email: null, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: 'STRIPE EMULATOR',
    captured: succeeded && captured,
    created: emu.clock.now(),
    currency: pi.currency,
    customer: typeof pi.customer === 'string' ? pi.customer : null,
    description: pi.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: result.kind === 'declined' ? (result.declineCode === 'authentication_required' ? 'authentication_required' : 'card_declined') : null,
    failure_message: result.kind === 'declined' ? result.message : null,
    fraud_details: {},
    livemode: false,
    metadata: { ...pi.metadata },
    on_behalf_of: null,
    outcome: outcomeOf(result),
    paid: succeeded,
    payment_intent: pi.id,
    payment_method: pm?.id ?? null,
    payment_method_details: card
      ? {
          type: 'card',
          card: {
            amount_authorized: succeeded ? pi.amount : null,
            authorization_code: succeeded ? String(100000 + (emu.clock.now() % 900000)) : null,
            brand: card.brand,
            checks: card.checks,
            country: card.country,
            electronic_commerce_indicator: null,
            exp_month: card.exp_month,
            exp_year: card.exp_year,
            fingerprint: card.fingerprint,
            funding: card.funding,
            installments: null,
            last4: card.last4,
            mandate: null,
            network: card.brand,
            network_transaction_id: succeeded ? newId('ntx', 15) : null,
            regulated_status: card.regulated_status,
            three_d_secure: null,
            transaction_link_id: null,
            wallet: null,
          },
        }
      : null,
    receipt_email: pi.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: pi.statement_descriptor,
    statement_descriptor_suffix: pi.statement_descriptor_suffix,
    status: succeeded ? 'succeeded' : 'failed',
    transfer_data: null,
    transfer_group: null,
  };
  scope.charges.add(charge);
  pi.latest_charge = charge.id;
  return charge;
}

function fail(emu: Emulator, scope: Scope, pi: Stripe.PaymentIntent, result: Extract<ChargeOutcome, { kind: 'declined' }>): void {
  const pm = scope.paymentMethods.get(String(pi.payment_method));
  const charge = createCharge(emu, scope, pi, result, false);
  const code = charge.failure_code as Stripe.PaymentIntent.LastPaymentError.Code;
  pi.status = 'requires_payment_method';
  pi.payment_method = null;
  pi.last_payment_error = {
    type: 'card_error',
    charge: charge.id,
    code,
    decline_code: result.declineCode,
    doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`,
    message: result.message,
    ...(pm ? { payment_method: structuredClone(pm) } : {}),
  };
  emu.events.publish(scope, 'charge.failed', charge);
  emu.events.publish(scope, 'payment_intent.payment_failed', pi);
}

function succeed(emu: Emulator, scope: Scope, pi: Stripe.PaymentIntent): void {
  const manual = pi.capture_method === 'manual';
  const charge = createCharge(emu, scope, pi, { kind: 'succeeded' }, !manual);
  pi.last_payment_error = null;
  // setup_future_usage saves the card to the customer, as a SetupIntent would.
  const pm = scope.paymentMethods.get(String(pi.payment_method));
  if (pi.setup_future_usage && pm && typeof pi.customer === 'string' && !pm.customer) attachPaymentMethod(emu, scope, pm, pi.customer);
  if (manual) {
    pi.status = 'requires_capture';
    pi.amount_capturable = pi.amount;
    emu.events.publish(scope, 'charge.succeeded', charge);
    emu.events.publish(scope, 'payment_intent.amount_capturable_updated', pi);
    return;
  }
  pi.status = 'succeeded';
  pi.amount_received = pi.amount;
  emu.events.publish(scope, 'charge.succeeded', charge);
  emu.events.publish(scope, 'payment_intent.succeeded', pi);
}

export function capturePaymentIntent(emu: Emulator, scope: Scope, pi: Stripe.PaymentIntent, amountToCapture: number | undefined): Stripe.PaymentIntent {
  requireStatus(pi, ['requires_capture'], 'capture');
  const amount = amountToCapture ?? pi.amount_capturable;
  if (amount < 1 || amount > pi.amount_capturable) {
    throw errors.invalid(`The amount to capture (${amount}) must be between 1 and the amount capturable (${pi.amount_capturable}).`, 'amount_to_capture', 'amount_too_large');
  }
  const charge = scope.charges.require(String(pi.latest_charge));
  charge.captured = true;
  charge.amount_captured = amount;
  // What is not captured is released, which Stripe shows as refunded.
  charge.amount_refunded = charge.amount - amount;
  pi.amount_capturable = 0;
  pi.amount_received = amount;
  pi.status = 'succeeded';
  emu.events.publish(scope, 'charge.captured', charge);
  emu.events.publish(scope, 'payment_intent.succeeded', pi);
  return pi;
}

export function cancelPaymentIntent(emu: Emulator, scope: Scope, pi: Stripe.PaymentIntent, reason: Stripe.PaymentIntent.CancellationReason | null): Stripe.PaymentIntent {
  requireStatus(pi, ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'], 'cancel');
  if (pi.status === 'requires_capture') {
    const charge = scope.charges.get(String(pi.latest_charge));
    if (charge) {
      charge.amount_refunded = charge.amount;
      charge.refunded = true;
    }
    pi.amount_capturable = 0;
  }
  pi.status = 'canceled';
  pi.canceled_at = emu.clock.now();
  pi.cancellation_reason = reason;
  pi.next_action = null;
  emu.events.publish(scope, 'payment_intent.canceled', pi);
  return pi;
}

export function createRefund(
  emu: Emulator,
  scope: Scope,
  charge: Stripe.Charge,
  input: { amount: number | undefined; reason: Stripe.Refund.Reason | null; metadata: Record<string, string> },
): Stripe.Refund {
  if (charge.status !== 'succeeded') throw errors.invalid(`Charge ${charge.id} has not succeeded; only a succeeded charge can be refunded.`, 'charge');
  if (!charge.captured) {
    throw errors.invalid(`Charge ${charge.id} has not been captured: cancel its PaymentIntent to release the authorization instead.`, 'charge', 'charge_not_refundable');
  }
  const remaining = charge.amount - charge.amount_refunded;
  if (remaining <= 0) throw errors.invalid(`Charge ${charge.id} has already been refunded.`, 'charge', 'charge_already_refunded');
  const amount = input.amount ?? remaining;
  if (amount < 1) throw errors.invalid('Refund amount must be at least 1.', 'amount', 'amount_too_small');
  if (amount > remaining) {
    throw errors.invalid(`Refund amount (${amount} ${charge.currency}) is greater than unrefunded amount on charge (${remaining} ${charge.currency})`, 'amount', 'amount_too_large');
  }
  const refund: Stripe.Refund = {
    id: newId('re'),
    object: 'refund',
    amount,
    balance_transaction: null,
    charge: charge.id,
    created: emu.clock.now(),
    currency: charge.currency,
    customer: charge.customer,
    customer_account: null,
    destination_details: { type: 'card', card: { reference: newId('arn', 16), reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' } },
    metadata: input.metadata,
    payment_intent: charge.payment_intent,
    payment_method: charge.payment_method,
    reason: input.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
  scope.refunds.add(refund);
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  emu.events.publish(scope, 'charge.refunded', charge);
  emu.events.publish(scope, 'refund.created', refund);
  return refund;
}

// --- Invoices' PaymentIntents -------------------------------------------------------------

/** invoice id → its PaymentIntent, and back. Stripe links them through the InvoicePayment. */
const intentOfInvoice = new WeakMap<Scope, Map<string, Stripe.PaymentIntent>>();
const invoiceOfIntent = new WeakMap<Stripe.PaymentIntent, string>();

export function invoiceIntent(scope: Scope, invoiceId: string): Stripe.PaymentIntent | undefined {
  return intentOfInvoice.get(scope)?.get(invoiceId);
}

export function invoiceIdOfIntent(pi: Stripe.PaymentIntent): string | undefined {
  return invoiceOfIntent.get(pi);
}

/** At finalization: the PaymentIntent the invoice's payments go through, and its InvoicePayment. */
export function openInvoiceIntent(emu: Emulator, scope: Scope, invoice: Stripe.Invoice): Stripe.PaymentIntent {
  const existing = invoiceIntent(scope, invoice.id);
  if (existing) return existing;
  const pi = createPaymentIntent(emu, scope, {
    amount: invoice.amount_due,
    currency: invoice.currency,
    customer: typeof invoice.customer === 'string' ? invoice.customer : null,
    paymentMethod: null,
    description: invoice.billing_reason === 'subscription_create' ? 'Subscription creation' : invoice.billing_reason === 'subscription_cycle' ? 'Subscription update' : (invoice.description ?? null),
    metadata: {},
    captureMethod: 'automatic',
    confirmationMethod: 'automatic',
    setupFutureUsage: invoice.billing_reason === 'subscription_create' ? 'off_session' : null,
    receiptEmail: null,
    automaticPaymentMethods: false,
    allowedPaymentMethodTypes: null,
    paymentMethodTypes: ['card'],
    statementDescriptor: null,
    statementDescriptorSuffix: null,
  });
  const byInvoice = intentOfInvoice.get(scope) ?? new Map<string, Stripe.PaymentIntent>();
  byInvoice.set(invoice.id, pi);
  intentOfInvoice.set(scope, byInvoice);
  invoiceOfIntent.set(pi, invoice.id);
  scope.invoicePayments.add({
    id: newId('inpay'),
    object: 'invoice_payment',
    amount_paid: null,
    amount_requested: invoice.amount_due,
    created: emu.clock.now(),
    currency: invoice.currency,
    invoice: invoice.id,
    is_default: true,
    livemode: false,
    payment: { type: 'payment_intent', payment_intent: pi.id },
    status: 'open',
    status_transitions: { canceled_at: null, paid_at: null },
  });
  return pi;
}

function invoicePaymentOf(scope: Scope, invoiceId: string): Stripe.InvoicePayment | undefined {
  return scope.invoicePayments.find((p) => p.invoice === invoiceId && p.is_default);
}

/** The invoice was paid: its InvoicePayment too (`invoice_payment.paid`). */
export function settleInvoicePayment(emu: Emulator, scope: Scope, invoice: Stripe.Invoice): void {
  const payment = invoicePaymentOf(scope, invoice.id);
  if (!payment || payment.status === 'paid') return;
  payment.status = 'paid';
  payment.amount_paid = invoice.amount_paid;
  payment.status_transitions = { ...payment.status_transitions, paid_at: emu.clock.now() };
  emu.events.publish(scope, 'invoice_payment.paid', payment);
}

/** The invoice was voided: its PaymentIntent is canceled (`void_invoice`), its InvoicePayment too. */
export function cancelInvoiceIntent(emu: Emulator, scope: Scope, invoice: Stripe.Invoice): void {
  const pi = invoiceIntent(scope, invoice.id);
  if (pi && pi.status !== 'succeeded' && pi.status !== 'canceled') cancelPaymentIntent(emu, scope, pi, 'void_invoice');
  const payment = invoicePaymentOf(scope, invoice.id);
  if (payment && payment.status === 'open') {
    payment.status = 'canceled';
    payment.status_transitions = { ...payment.status_transitions, canceled_at: emu.clock.now() };
  }
}

/**
 * An automatic (or invoice-pay) attempt on the invoice's PaymentIntent with `paymentMethod`; no
 * payment method is a decline without a charge, as Stripe reports it on the invoice.
 */
export function attemptInvoicePayment(emu: Emulator, scope: Scope, invoice: Stripe.Invoice, paymentMethod: string | null, onSession: boolean): ChargeOutcome {
  const pi = openInvoiceIntent(emu, scope, invoice);
  if (!paymentMethod) return chargeOutcome(undefined, onSession);
  if (pi.status === 'requires_confirmation' || pi.status === 'requires_action' || pi.status === 'requires_payment_method') {
    pi.payment_method = paymentMethod;
    pi.status = 'requires_confirmation';
  }
  return attemptPayment(emu, scope, pi, { offSession: !onSession, returnUrl: null, authenticationFailsOffSession: false });
}
