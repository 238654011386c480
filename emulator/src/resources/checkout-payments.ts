// Checkout sessions in `payment` mode (one-time prices or `price_data`; paying creates and confirms a
// PaymentIntent) and `setup` mode (saving a card: a SetupIntent). The session itself is built by
// checkout.ts; this file holds what these two modes add: their parameters, paying, and 3D Secure.
import type Stripe from 'stripe';
import { authenticatePayment, attemptPayment, createPaymentIntent } from '../billing/payment-intents.js';
import { attemptSetup, authenticateSetup, createSetupIntent } from '../billing/setup-intents.js';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import type { Params } from '../http/params.js';
import type { Scope } from '../store/scope.js';
import { createPrice } from './catalog.js';
import { shippingParam } from './common.js';
import { paymentMethodForCard } from './payment-methods.js';
import { declined } from './payments.js';
import { setupFailed } from './setup-intents.js';

interface IntentData {
  metadata: Record<string, string>;
  description: string | null;
  setupFutureUsage: 'off_session' | 'on_session' | null;
  captureMethod: 'automatic' | 'automatic_async' | 'manual';
  receiptEmail: string | null;
  shipping: Stripe.PaymentIntent.Shipping | null;
}

const intentData = new WeakMap<Stripe.Checkout.Session, IntentData>();

/** `payment_intent_data` (payment mode) or `setup_intent_data` (setup mode), kept until the session is paid. */
export function rememberIntentData(session: Stripe.Checkout.Session, p: Params): void {
  const d = p.obj(session.mode === 'setup' ? 'setup_intent_data' : 'payment_intent_data');
  intentData.set(session, {
    metadata: d?.metadata() ?? {},
    description: d?.str('description') || null,
    setupFutureUsage: d?.oneOf('setup_future_usage', ['off_session', 'on_session'] as const) ?? null,
    captureMethod: d?.oneOf('capture_method', ['automatic', 'automatic_async', 'manual'] as const) ?? 'automatic_async',
    receiptEmail: d?.str('receipt_email') || null,
    shipping: shippingParam(d?.obj('shipping')),
  });
}

/** A line item's price in payment mode: a one-time price, or one made from `price_data`. */
export function oneTimePrice(emu: Emulator, scope: Scope, item: Params, i: number): Stripe.Price {
  const data = item.obj('price_data');
  const id = item.str('price');
  if (!id && !data) throw errors.missing(`line_items[${i}][price]`);
  const price = id ? scope.prices.require(id, `line_items[${i}][price]`) : createPrice(emu, scope, data!);
  if (price.type === 'recurring') {
    throw errors.invalid(
      'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
      `line_items[${i}][price]`,
    );
  }
  return price;
}

export interface SessionHooks {
  /** The session's customer, created now when the session must have one. */
  customer(): string | null;
  complete(customer: string | null): void;
}

export type IntentResult = 'complete' | 'requires_action';

/** Pays a payment-mode session (or saves the card of a setup-mode one) with a test card. */
export function payIntentSession(emu: Emulator, scope: Scope, session: Stripe.Checkout.Session, cardNumber: string, hooks: SessionHooks): IntentResult {
  const data = intentData.get(session)!;
  const customer = hooks.customer();
  const pm = paymentMethodForCard(emu, scope, cardNumber);
  if (session.mode === 'setup') {
    const si = createSetupIntent(emu, scope, {
      customer,
      paymentMethod: pm.id,
      description: data.description,
      metadata: data.metadata,
      usage: 'off_session',
      automaticPaymentMethods: false,
      allowedPaymentMethodTypes: null,
    });
    session.setup_intent = si.id;
    const outcome = attemptSetup(emu, scope, si, null);
    if (outcome === 'failed') throw setupFailed(si);
    if (outcome === 'requires_action') return 'requires_action';
    hooks.complete(customer);
    return 'complete';
  }
  // A declined card leaves the session open with its PaymentIntent, which the next card confirms again.
  const existing = typeof session.payment_intent === 'string' ? scope.paymentIntents.get(session.payment_intent) : undefined;
  const pi =
    existing ??
    createPaymentIntent(emu, scope, {
      amount: session.amount_total ?? 0,
      currency: session.currency ?? 'usd',
      customer,
      paymentMethod: null,
      description: data.description,
      metadata: data.metadata,
      captureMethod: data.captureMethod,
      confirmationMethod: 'automatic',
      setupFutureUsage: data.setupFutureUsage,
      receiptEmail: data.receiptEmail ?? session.customer_email,
      shipping: data.shipping,
      automaticPaymentMethods: false,
      allowedPaymentMethodTypes: null,
      paymentMethodTypes: ['card'],
      statementDescriptor: null,
      statementDescriptorSuffix: null,
    });
  session.payment_intent = pi.id;
  pi.payment_method = pm.id;
  pi.status = 'requires_confirmation';
  const outcome = attemptPayment(emu, scope, pi, { offSession: false, returnUrl: null, authenticationFailsOffSession: false });
  if (outcome.kind === 'declined') throw declined(pi);
  if (outcome.kind === 'requires_action') return 'requires_action';
  hooks.complete(customer);
  return 'complete';
}

/** The session's intent waits for 3D Secure. */
export function awaitsAuthentication(scope: Scope, session: Stripe.Checkout.Session): boolean {
  const pi = typeof session.payment_intent === 'string' ? scope.paymentIntents.get(session.payment_intent) : undefined;
  const si = typeof session.setup_intent === 'string' ? scope.setupIntents.get(session.setup_intent) : undefined;
  return pi?.status === 'requires_action' || si?.status === 'requires_action';
}

/** The 3D Secure step of a payment- or setup-mode session. */
export function authenticateIntentSession(emu: Emulator, scope: Scope, session: Stripe.Checkout.Session, succeed: boolean, complete: (customer: string | null) => void): void {
  if (session.status !== 'open' || !awaitsAuthentication(scope, session)) throw errors.invalid('This Checkout Session is not waiting for authentication.');
  if (!succeed) throw errors.card('authentication_required', 'We are unable to authenticate your payment method. Please choose a different payment method and try again.');
  if (session.mode === 'setup') {
    const si = scope.setupIntents.require(String(session.setup_intent));
    authenticateSetup(emu, scope, si, true);
    complete(typeof si.customer === 'string' ? si.customer : null);
    return;
  }
  const pi = scope.paymentIntents.require(String(session.payment_intent));
  authenticatePayment(emu, scope, pi, true);
  complete(typeof pi.customer === 'string' ? pi.customer : null);
}
