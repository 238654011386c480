// SetupIntents: create / retrieve / update / list / confirm / cancel (billing/setup-intents.ts).
// A failed setup answers 402 card_error carrying the SetupIntent, as Stripe does.
import type Stripe from 'stripe';
import { attemptSetup, cancelSetupIntent, createSetupIntent } from '../billing/setup-intents.js';
import type { Emulator } from '../emulator.js';
import { errors, StripeApiError } from '../http/errors.js';
import { createdFilter, pageOf } from '../http/list.js';
import type { Params } from '../http/params.js';
import type { ApiRouter } from '../http/routes.js';
import type { Scope } from '../store/scope.js';
import { nullableStr } from './common.js';
import { intentPaymentMethod, lastErrorFields, paymentMethodTypes } from './payments.js';

export function setupFailed(si: Stripe.SetupIntent): StripeApiError {
  const e = si.last_setup_error!;
  return new StripeApiError(402, {
    type: e.type === 'card_error' ? 'card_error' : 'invalid_request_error',
    ...lastErrorFields(e),
    setup_intent: structuredClone(si),
  });
}

function confirmSetup(emu: Emulator, scope: Scope, si: Stripe.SetupIntent, p: Params): Stripe.SetupIntent {
  const pm = p.str('payment_method');
  if (pm) si.payment_method = intentPaymentMethod(emu, scope, pm, typeof si.customer === 'string' ? si.customer : null);
  if (attemptSetup(emu, scope, si, p.str('return_url') || null) === 'failed') throw setupFailed(si);
  return si;
}

function createSetup(emu: Emulator, scope: Scope, p: Params): Stripe.SetupIntent {
  const customer = p.str('customer') || null;
  if (customer) scope.customers.require(customer, 'customer');
  const { types, apm } = paymentMethodTypes(p);
  const confirmNow = p.bool('confirm') ?? false;
  if (!confirmNow && p.has('return_url')) throw errors.invalid('You can only pass return_url when confirm=true.', 'return_url');
  const pm = p.str('payment_method');
  const si = createSetupIntent(emu, scope, {
    customer,
    paymentMethod: pm ? intentPaymentMethod(emu, scope, pm, customer) : null,
    description: p.str('description') || null,
    metadata: p.metadata(),
    usage: p.oneOf('usage', ['off_session', 'on_session'] as const) ?? 'off_session',
    automaticPaymentMethods: !types && (apm?.bool('enabled') ?? true),
    allowedPaymentMethodTypes: types ?? null,
  });
  if (confirmNow && attemptSetup(emu, scope, si, p.str('return_url') || null) === 'failed') throw setupFailed(si);
  return si;
}

export function setupIntentRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/setup_intents', [
    'allowed_payment_method_types', 'confirm', 'customer', 'description', 'metadata', 'payment_method', 'return_url',
    'usage',
  ], ({ scope, p }) => createSetup(emu, scope, p));
  r.add('GET', '/v1/setup_intents/:id', [], ({ scope, params }) => scope.setupIntents.require(params.id));
  r.add('POST', '/v1/setup_intents/:id', ['customer', 'description', 'metadata', 'payment_method'], ({ scope, params, p }) => {
    const si = scope.setupIntents.require(params.id);
    if (si.status === 'succeeded' || si.status === 'canceled') {
      throw errors.invalid(`You cannot update this SetupIntent because it has a status of ${si.status}.`, undefined, 'setup_intent_unexpected_state');
    }
    // Stripe sends no event for an update of a SetupIntent.
    if (p.has('customer')) {
      const c = p.str('customer');
      if (c) scope.customers.require(c, 'customer');
      si.customer = c || null;
    }
    si.description = nullableStr(p, 'description', si.description);
    si.metadata = p.metadata('metadata', si.metadata ?? {});
    const pm = p.str('payment_method');
    if (pm) {
      si.payment_method = intentPaymentMethod(emu, scope, pm, typeof si.customer === 'string' ? si.customer : null);
      si.status = 'requires_confirmation';
      si.next_action = null;
    }
    return si;
  });
  r.add('GET', '/v1/setup_intents', ['created', 'customer', 'ending_before', 'limit', 'payment_method', 'starting_after'], ({ scope, p }) => {
    const customer = p.str('customer');
    const pm = p.str('payment_method');
    const created = createdFilter(p);
    return pageOf(scope.setupIntents, p, '/v1/setup_intents', (si) => (!customer || si.customer === customer) && (!pm || si.payment_method === pm) && (!created || created(si.created)));
  });
  r.add('POST', '/v1/setup_intents/:id/confirm', ['payment_method', 'return_url'], ({ scope, params, p }) => confirmSetup(emu, scope, scope.setupIntents.require(params.id), p));
  r.add('POST', '/v1/setup_intents/:id/cancel', ['cancellation_reason'], ({ scope, params, p }) =>
    cancelSetupIntent(emu, scope, scope.setupIntents.require(params.id), p.oneOf('cancellation_reason', ['abandoned', 'duplicate', 'requested_by_customer'] as const) ?? null),
  );
}
