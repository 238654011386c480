// SetupIntents: saving a card for later payments. A confirmation checks the test card as a
// zero-amount authorization would: a card that declines every charge fails the setup, except
// 4000000000000341 (it attaches, then declines its charges); a card that wants 3D Secure asks for
// it (the authentication page completes it, and a card that asks once asks no more). On success
// the payment method is attached to the SetupIntent's customer.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { attachPaymentMethod } from '../resources/payment-methods.js';
import { chargeOutcome } from './cards.js';
import { clientSecret, requireStatus } from './payment-intents.js';

export interface SetupInput {
  customer: string | null;
  paymentMethod: string | null;
  description: string | null;
  metadata: Record<string, string>;
  usage: 'off_session' | 'on_session';
  automaticPaymentMethods: boolean;
  allowedPaymentMethodTypes: string[] | null;
}

/** Attaches but declines later charges (Stripe's "attach succeeds, charge fails" card). */
const ATTACHES = new Set(['4000000000000341']);

export function createSetupIntent(emu: Emulator, scope: Scope, input: SetupInput): Stripe.SetupIntent {
  const id = newId('seti');
  const si: Stripe.SetupIntent = {
    id,
    object: 'setup_intent',
    allowed_payment_method_types: input.allowedPaymentMethodTypes as Stripe.SetupIntent.AllowedPaymentMethodType[] | null,
    application: null,
    automatic_payment_methods: input.automaticPaymentMethods ? { allow_redirects: 'always', enabled: true } : null,
    cancellation_reason: null,
    client_secret: clientSecret(id),
    created: emu.clock.now(),
    customer: input.customer,
    customer_account: null,
    description: input.description,
    excluded_payment_method_types: null,
    flow_directions: null,
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: input.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: input.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: { card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    single_use_mandate: null,
    status: input.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    usage: input.usage,
  };
  scope.setupIntents.add(si);
  emu.pageIndex.set(id, scope);
  emu.events.publish(scope, 'setup_intent.created', si);
  return si;
}

export type SetupOutcome = 'succeeded' | 'requires_action' | 'failed';

export function attemptSetup(emu: Emulator, scope: Scope, si: Stripe.SetupIntent, returnUrl: string | null): SetupOutcome {
  requireStatus(si, ['requires_payment_method', 'requires_confirmation', 'requires_action'], 'confirm', 'SetupIntent');
  const pmId = typeof si.payment_method === 'string' ? si.payment_method : null;
  if (!pmId) throw errors.invalid("You cannot confirm this SetupIntent because it's missing a payment method.", undefined, 'setup_intent_unexpected_state');
  const card = scope.cards.get(pmId);
  const outcome = card && ATTACHES.has(card.number) ? { kind: 'succeeded' as const } : chargeOutcome(card, true);
  si.next_action = null;
  if (outcome.kind === 'declined') {
    const pm = scope.paymentMethods.get(pmId);
    si.status = 'requires_payment_method';
    si.payment_method = null;
    si.last_setup_error = {
      type: 'card_error',
      code: 'card_declined',
      decline_code: outcome.declineCode,
      doc_url: 'https://stripe.com/docs/error-codes/card-declined',
      message: outcome.message,
      ...(pm ? { payment_method: structuredClone(pm) } : {}),
    };
    emu.events.publish(scope, 'setup_intent.setup_failed', si);
    return 'failed';
  }
  if (outcome.kind === 'requires_action') {
    si.status = 'requires_action';
    si.last_setup_error = null;
    const url = `${emu.publicUrl}/authenticate/${si.id}`;
    si.next_action = returnUrl
      ? { type: 'redirect_to_url', redirect_to_url: { return_url: returnUrl, url } }
      : { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: url, source: pmId } };
    emu.events.publish(scope, 'setup_intent.requires_action', si);
    return 'requires_action';
  }
  succeed(emu, scope, si);
  return 'succeeded';
}

function succeed(emu: Emulator, scope: Scope, si: Stripe.SetupIntent): void {
  const pm = scope.paymentMethods.get(String(si.payment_method));
  if (pm && typeof si.customer === 'string' && pm.customer !== si.customer) attachPaymentMethod(emu, scope, pm, si.customer);
  si.status = 'succeeded';
  si.last_setup_error = null;
  emu.events.publish(scope, 'setup_intent.succeeded', si);
}

/** The authentication page's answer for a SetupIntent waiting in requires_action. */
export function authenticateSetup(emu: Emulator, scope: Scope, si: Stripe.SetupIntent, success: boolean): SetupOutcome {
  if (si.status !== 'requires_action') throw errors.invalid(`This SetupIntent is ${si.status}, not waiting for authentication.`, undefined, 'setup_intent_unexpected_state');
  si.next_action = null;
  if (!success) {
    const pm = scope.paymentMethods.get(String(si.payment_method));
    si.status = 'requires_payment_method';
    si.payment_method = null;
    si.last_setup_error = {
      type: 'invalid_request_error',
      code: 'setup_intent_authentication_failure',
      doc_url: 'https://stripe.com/docs/error-codes/setup-intent-authentication-failure',
      message: 'The latest attempt to set up the payment method has failed because authentication failed.',
      ...(pm ? { payment_method: structuredClone(pm) } : {}),
    };
    emu.events.publish(scope, 'setup_intent.setup_failed', si);
    return 'failed';
  }
  const card = scope.cards.get(String(si.payment_method));
  if (card) card.authenticated = true;
  succeed(emu, scope, si);
  return 'succeeded';
}

export function cancelSetupIntent(emu: Emulator, scope: Scope, si: Stripe.SetupIntent, reason: Stripe.SetupIntent.CancellationReason | null): Stripe.SetupIntent {
  requireStatus(si, ['requires_payment_method', 'requires_confirmation', 'requires_action'], 'cancel', 'SetupIntent');
  si.status = 'canceled';
  si.cancellation_reason = reason;
  si.next_action = null;
  emu.events.publish(scope, 'setup_intent.canceled', si);
  return si;
}
