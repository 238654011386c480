import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiForbiddenResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import {
  CheckoutSessionResponse,
  ErrorResponse,
  FeatureListResponse,
  IdentityView,
  MerchantListResponse,
  PortalSessionResponse,
  SubscriptionListResponse,
  SubscriptionView,
  SyncResponse,
  TrialView,
} from './subscriptions.dto.js';

/**
 * The OpenAPI description of each subscriptions operation, shared by the account-scoped and the
 * account-less routes so that both read the same; `scope` keeps their operation ids apart.
 */
const STRIPE_FAILURES = [
  ApiResponse({ status: 422, type: ErrorResponse, description: 'Stripe refused the request' }),
  ApiResponse({ status: 502, type: ErrorResponse, description: 'Stripe unreachable or failing' }),
  ApiResponse({ status: 503, type: ErrorResponse, description: 'Stripe rate-limited us' }),
];
const COMMON = [ApiUnauthorizedResponse({ type: ErrorResponse, description: 'No or invalid account token' }), ApiForbiddenResponse({ type: ErrorResponse, description: 'Another account, or not the owner on a mutation' })];
const IDEMPOTENCY = ApiHeader({ name: 'idempotency-key', required: false, description: 'Retries with the same key change Stripe once' });

const op = (scope: string, name: string, summary: string, ...more: MethodDecorator[]) =>
  applyDecorators(ApiOperation({ operationId: `${scope}.${name}`, summary }), ...COMMON, ...more);

export const SubscriptionsDocs = (scope: 'subscriptions' | 'accountSubscriptions') => ({
  list: () => op(scope, 'list', "The account's subscriptions to the application", ApiOkResponse({ type: SubscriptionListResponse })),
  features: () => op(scope, 'features', 'Features the account may use now (answered from the mirror, no Stripe call)', ApiOkResponse({ type: FeatureListResponse })),
  identity: () => op(scope, 'identity', "The account's Stripe customer at the application's merchant", ApiOkResponse({ type: IdentityView }), ApiNotFoundResponse({ type: ErrorResponse, description: 'No customer yet' })),
  merchants: () => op(scope, 'merchants', 'The merchants through which the application sells', ApiOkResponse({ type: MerchantListResponse })),
  createCheckoutSession: () =>
    op(scope, 'createCheckoutSession', 'Start a Stripe Checkout for a price of the catalog', IDEMPOTENCY, ApiOkResponse({ type: CheckoutSessionResponse }),
      ApiBadRequestResponse({ type: ErrorResponse, description: 'price_not_in_catalog, price_not_found, price_inactive, redirect_not_allowed, validation_failed' }),
      ApiConflictResponse({ type: ErrorResponse, description: 'already_subscribed' }), ...STRIPE_FAILURES),
  createPortalSession: () =>
    op(scope, 'createPortalSession', 'Open the Stripe Customer Portal', ApiOkResponse({ type: PortalSessionResponse }),
      ApiBadRequestResponse({ type: ErrorResponse, description: 'redirect_not_allowed' }), ApiNotFoundResponse({ type: ErrorResponse, description: 'identity_not_found' }), ...STRIPE_FAILURES),
  syncCheckoutSession: () =>
    op(scope, 'syncCheckoutSession', 'Mirror the subscription of a completed checkout now, without waiting for the webhook', ApiOkResponse({ type: SubscriptionView }),
      ApiNotFoundResponse({ type: ErrorResponse, description: 'checkout_session_not_found (unknown, or of another account)' }), ApiConflictResponse({ type: ErrorResponse, description: 'checkout_not_complete' }), ...STRIPE_FAILURES),
  sync: () =>
    op(scope, 'sync', "Pull the account's subscriptions from Stripe", ApiOkResponse({ type: SyncResponse }),
      ApiBadRequestResponse({ type: ErrorResponse, description: 'validation_failed (allow_deletes must be true or false)' }), ...STRIPE_FAILURES),
  change: () =>
    op(scope, 'change', 'Change the plan (price or interval) and/or quantity', IDEMPOTENCY, ApiOkResponse({ type: SubscriptionView }),
      ApiBadRequestResponse({ type: ErrorResponse, description: 'price_not_in_catalog, price_not_found, price_inactive, no_price_for_interval, nothing_to_change, conflicting_change, validation_failed' }),
      ApiNotFoundResponse({ type: ErrorResponse, description: 'subscription_not_found' }), ApiConflictResponse({ type: ErrorResponse, description: 'subscription_ended' }), ...STRIPE_FAILURES),
  cancel: () =>
    op(scope, 'cancel', 'Cancel at the period end, or immediately', IDEMPOTENCY, ApiOkResponse({ type: SubscriptionView }),
      ApiBadRequestResponse({ type: ErrorResponse, description: 'validation_failed (timing must be period_end or immediately)' }),
      ApiNotFoundResponse({ type: ErrorResponse, description: 'subscription_not_found' }), ApiConflictResponse({ type: ErrorResponse, description: 'subscription_ended' }), ...STRIPE_FAILURES),
  resume: () =>
    op(scope, 'resume', 'Undo a period-end cancellation (or resume a paused subscription)', IDEMPOTENCY, ApiOkResponse({ type: SubscriptionView }),
      ApiBadRequestResponse({ type: ErrorResponse, description: 'validation_failed' }),
      ApiNotFoundResponse({ type: ErrorResponse, description: 'subscription_not_found' }), ApiConflictResponse({ type: ErrorResponse, description: 'not_scheduled_to_cancel, subscription_ended' }), ...STRIPE_FAILURES),
  startTrial: () =>
    op(scope, 'startTrial', 'Start the platform-managed trial of the application (once per account)', ApiOkResponse({ type: TrialView }),
      ApiBadRequestResponse({ type: ErrorResponse, description: 'price_not_in_catalog, price_not_found, price_inactive, validation_failed' }), ApiConflictResponse({ type: ErrorResponse, description: 'trial_already_used' }), ...STRIPE_FAILURES),
  trial: () => op(scope, 'trial', "The account's platform trial", ApiOkResponse({ type: TrialView }), ApiNotFoundResponse({ type: ErrorResponse, description: 'trial_not_found' })),
});
