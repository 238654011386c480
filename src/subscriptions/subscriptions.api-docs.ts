import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ACCOUNT_AUTH, ACCOUNT_IN_PATH, ApiErrors, OWNER_ONLY, STRIPE_CALLS, STRIPE_MUTATION, type ErrorSpec } from '../infra/http/errors.api-docs.js';
import { CANCELED_SUBSCRIPTION, CANCELING_SUBSCRIPTION, FEATURES, FLOW, MONTHLY_SUBSCRIPTION, YEARLY_SUBSCRIPTION } from '../infra/http/seed-flow.api-docs.js';
import {
  CancelSubscriptionDto,
  CancelSubscriptionWithIdDto,
  ChangeSubscriptionDto,
  ChangeSubscriptionWithIdDto,
  CheckoutSessionResponse,
  CreateCheckoutSessionDto,
  CreatePortalSessionDto,
  FeatureListResponse,
  IdentityView,
  MerchantListResponse,
  PortalSessionResponse,
  StartTrialDto,
  SubscriptionListResponse,
  SubscriptionView,
  SyncCheckoutSessionDto,
  SyncResponse,
  TrialView,
} from './subscriptions.dto.js';

/**
 * The OpenAPI description of each subscriptions operation, shared by the account-scoped routes
 * (`accountSubscriptions.*`, AM's, the account in the path and the subscription in the body) and
 * the account-less ones (`subscriptions.*`, client apps', the account from the token and the
 * subscription in the path), so that both read the same. Examples follow seed-flow.api-docs.ts.
 */
type Scope = 'subscriptions' | 'accountSubscriptions';

const IDEMPOTENCY = ApiHeader({
  name: 'idempotency-key',
  required: false,
  description: 'Any 1 to 255 printable characters, new for each intended change: a retry with the same key (after a timeout, a 503) changes Stripe once and answers as the first did',
  example: 'c1f0e4c2-checkout-3001002-20261120',
});

/** Errors of the flows that buy a catalog price (checkout, trial, change by price). */
const PURCHASE: ErrorSpec = { 400: ['price_not_in_catalog', 'price_not_found', 'price_inactive'] };

const SUBSCRIPTION_VIEW_FIELDS =
  '`has_access` and `access_until` say whether, and until when, it grants its features (the access policy: active or trialing to the period end, past_due for the grace, a period-end cancellation to the period end); `contracted` is freee\'s classification.';

export const SubscriptionsDocs = (scope: Scope) => {
  const accountScoped = scope === 'accountSubscriptions';
  /** Every operation: its id and words. */
  const op = (name: string, summary: string, description: string, ...more: (MethodDecorator | ClassDecorator)[]) =>
    applyDecorators(ApiOperation({ operationId: `${scope}.${name}`, summary, description }), ...more);
  /** Its errors: those of the account token (and of the path's account, and the owner role for changes), then its own. */
  const errors = (ownerOnly: boolean, ...specs: ErrorSpec[]) => ApiErrors(ACCOUNT_AUTH, ...(accountScoped ? [ACCOUNT_IN_PATH] : []), ...(ownerOnly ? [OWNER_ONLY] : []), ...specs);
  const withId = <T extends object>(body: T) => (accountScoped ? { subscription_id: FLOW.subscriptionId, ...body } : body);
  const where = accountScoped ? 'in the body (`subscription_id`)' : 'in the path';

  return {
    list: () =>
      op('list', "The account's subscriptions to the application",
        "Every subscription of the account to the application, newest first, as mirrored from Stripe (no Stripe call): live ones and ended ones. Load it on the billing page. " + SUBSCRIPTION_VIEW_FIELDS,
        ApiOkResponse({ type: SubscriptionListResponse, description: 'The subscriptions (possibly none)', example: { data: [MONTHLY_SUBSCRIPTION] } }),
        errors(false)),

    features: () =>
      op('features', 'Features the account may use now',
        "The features (Stripe Entitlements features, by lookup_key) that the account's subscriptions and platform trial grant now, each with the subscription that grants it and until when. Answered from the mirror in one query, never calling Stripe: call it on every page load to gate features. A feature ends when its access ends, even if no webhook arrives.",
        ApiOkResponse({ type: FeatureListResponse, description: 'The features granted now (none: an empty list)', example: { data: FEATURES } }),
        errors(false)),

    identity: () =>
      op('identity', "The account's Stripe customer",
        "The Stripe customer that stands for the account at the application's merchant (its Subscription Identity), created at the account's first checkout or trial with `metadata.account_id`. 404 `identity_not_found` before that.",
        ApiOkResponse({ type: IdentityView, example: { account_id: FLOW.accountId, stripe_customer_id: FLOW.customerId, stripe_account: null, email: FLOW.email, name: FLOW.companyName } }),
        errors(false, { 404: ['identity_not_found'] })),

    merchants: () =>
      op('merchants', 'The merchants through which the application sells',
        'The merchant (Stripe account) the application sells through, its currency and charge model, and whether the account already has a Stripe customer there. One today.',
        ApiOkResponse({
          type: MerchantListResponse,
          example: { data: [{ id: FLOW.merchantId, display_name: 'Platform', country: 'JP', currency: 'jpy', charge_model: 'platform', status: 'active', has_identity: true }] },
        }),
        errors(false)),

    createCheckoutSession: () =>
      op('createCheckoutSession', 'Start a Stripe Checkout for a price of the catalog',
        "Step 1 of buying: creates a Checkout Session in subscription mode for a price of the application's catalog; redirect the browser to `url`. " +
          "The account's Stripe customer is created on first use (with `email`, `name`, `locale`). Refused before Stripe is called: a price outside the catalog or archived (400), " +
          "redirect URLs outside the application's allowed origins (400), a second live subscription to the same product (409, unless the application allows several). " +
          'After payment Stripe sends the browser to `success_url`: call `syncCheckoutSession` there to show the subscription at once. Owner only. Send an Idempotency-Key to retry safely.',
        IDEMPOTENCY,
        ApiBody({
          type: CreateCheckoutSessionDto,
          examples: {
            monthly: { summary: 'The monthly plan (¥3,000 a month), one seat', value: { price_id: FLOW.monthlyPrice, success_url: `${FLOW.origin}/billing/success`, cancel_url: `${FLOW.origin}/billing`, quantity: 1, email: FLOW.email, name: FLOW.companyName, locale: 'ja' } },
            minimal: { summary: 'Only what is required', value: { price_id: FLOW.monthlyPrice, success_url: `${FLOW.origin}/billing/success`, cancel_url: `${FLOW.origin}/billing` } },
          },
        }),
        ApiOkResponse({ type: CheckoutSessionResponse, description: 'Redirect the browser to `url`', example: { id: FLOW.checkoutSessionId, url: `https://checkout.stripe.com/c/pay/${FLOW.checkoutSessionId}` } }),
        errors(true, PURCHASE, STRIPE_MUTATION, {
          400: ['redirect_not_allowed', 'validation_failed', 'invalid_idempotency_key'],
          404: ['stripe_resource_missing'],
          409: ['already_subscribed'],
        })),

    createPortalSession: () =>
      op('createPortalSession', 'Open the Stripe Customer Portal',
        "A Customer Portal session for the account's Stripe customer, where the owner updates the card, sees invoices, changes or cancels the plan; redirect the browser to `url`. " +
          "`return_url` must be on an allowed origin of the application. 404 `identity_not_found` when the account has never bought. Changes made in the portal reach the mirror through webhooks. Owner only.",
        ApiBody({ type: CreatePortalSessionDto, examples: { settings: { summary: 'Back to the billing page', value: { return_url: `${FLOW.origin}/billing` } } } }),
        ApiOkResponse({ type: PortalSessionResponse, description: 'Redirect the browser to `url`', example: { url: 'https://billing.stripe.com/p/session/test_YWNjdF8xUXlUMGFQbGF0Zm9ybQ' } }),
        errors(true, STRIPE_CALLS, { 400: ['redirect_not_allowed', 'validation_failed'], 404: ['identity_not_found', 'stripe_resource_missing'] })),

    syncCheckoutSession: () =>
      op('syncCheckoutSession', 'Mirror the subscription of a completed checkout now',
        'Step 3 of buying, on the success page: reads the Checkout Session from Stripe and mirrors its subscription at once, without waiting for the `checkout.session.completed` webhook, and answers it. ' +
          'The session must be this account\'s and application\'s (anyone else\'s is a 404); 409 `checkout_not_complete` while it is not paid. Safe to repeat; the webhook finds the subscription up to date. Owner only.',
        ApiBody({ type: SyncCheckoutSessionDto, examples: { paid: { summary: 'The session Stripe redirected back from', value: { session_id: FLOW.checkoutSessionId } } } }),
        ApiOkResponse({ type: SubscriptionView, description: 'The subscription the checkout created', example: MONTHLY_SUBSCRIPTION }),
        errors(true, STRIPE_CALLS, { 400: ['validation_failed'], 404: ['checkout_session_not_found'], 409: ['checkout_not_complete'] })),

    sync: () =>
      op('sync', "Pull the account's subscriptions from Stripe",
        "Lists the account's subscriptions in Stripe (100 a page) and mirrors them, for when webhooks were missed. Local subscriptions Stripe no longer has are kept and counted as `missing` unless `allow_deletes=true`, which removes them. " +
          'Answers the counts and the subscriptions as now mirrored. Owner only.',
        ApiOkResponse({ type: SyncResponse, example: { created: 0, updated: 1, deleted: 0, unchanged: 0, missing: 0, data: [MONTHLY_SUBSCRIPTION] } }),
        errors(true, STRIPE_CALLS, { 400: ['validation_failed'] })),

    startTrial: () =>
      op('startTrial', 'Start the platform trial of the application',
        "Starts the platform-managed trial (as the freee app store runs them, without Stripe trials): the features of the price's product for the application's `trial_days`, once per account and application, with `quantity` seats (the lookup's `trial_quantity`). " +
          'The Stripe customer is created up front, so that buying later is one step. 409 `trial_already_used` the second time. Owner only.',
        ApiBody({ type: StartTrialDto, examples: { trial: { summary: 'A 14-day trial of the monthly plan for 3 seats', value: { price_id: FLOW.monthlyPrice, quantity: 3, email: FLOW.email, name: FLOW.companyName, locale: 'ja' } } } }),
        ApiOkResponse({
          type: TrialView,
          example: { application_id: FLOW.applicationId, price_id: FLOW.monthlyPrice, product_id: FLOW.productId, trial_quantity: 3, trial_start: '2026-11-10T00:00:00.000Z', trial_end: '2026-11-24T00:00:00.000Z', stripe_customer_id: FLOW.customerId, active: true },
        }),
        errors(true, PURCHASE, STRIPE_MUTATION, { 400: ['validation_failed'], 409: ['trial_already_used'] })),

    trial: () =>
      op('trial', "The account's platform trial",
        "The account's platform trial of the application, whether still `active` or over; 404 `trial_not_found` when it never had one (it may then start one).",
        ApiOkResponse({
          type: TrialView,
          example: { application_id: FLOW.applicationId, price_id: FLOW.monthlyPrice, product_id: FLOW.productId, trial_quantity: 3, trial_start: '2026-11-10T00:00:00.000Z', trial_end: '2026-11-24T00:00:00.000Z', stripe_customer_id: FLOW.customerId, active: true },
        }),
        errors(false, { 404: ['trial_not_found'] })),

    change: () =>
      op('change', 'Change the plan (price or interval) and/or the quantity',
        `Changes the account's subscription (named ${where}) in Stripe and answers it as now mirrored: \`interval\` moves to the catalog price of the same product with that interval (monthly ↔ yearly), ` +
          '`price_id` to another catalog price, `quantity` sets the seats; `proration_behavior` defaults to DEFAULT_PRORATION_BEHAVIOR. Give price_id or interval, not both. ' +
          'An ended subscription cannot change (409). Owner only. Send an Idempotency-Key to retry safely.',
        IDEMPOTENCY,
        ApiBody({
          type: accountScoped ? ChangeSubscriptionWithIdDto : ChangeSubscriptionDto,
          examples: {
            yearly: { summary: 'Move to the yearly plan (¥30,000 a year)', value: withId({ interval: 'year' }) },
            seats: { summary: 'Five seats from now on, prorated', value: withId({ quantity: 5, proration_behavior: 'create_prorations' }) },
            price: { summary: 'Another price of the catalog', value: withId({ price_id: FLOW.yearlyPrice }) },
          },
        }),
        ApiOkResponse({ type: SubscriptionView, description: 'The subscription as changed', example: YEARLY_SUBSCRIPTION }),
        errors(true, PURCHASE, STRIPE_MUTATION, {
          400: ['no_price_for_interval', 'conflicting_change', 'nothing_to_change', 'validation_failed', 'invalid_idempotency_key'],
          404: ['subscription_not_found', 'stripe_resource_missing'],
          409: ['subscription_ended', 'no_licensed_item'],
        })),

    cancel: () =>
      op('cancel', 'Cancel at the period end, or immediately',
        `Cancels the account's subscription (named ${where}). \`period_end\`: it stays active, and keeps its features, until the end of the paid period (\`cancel_at_period_end\` true; \`resume\` undoes it). ` +
          "`immediately`: canceled now, access ends now (the application's cancel_invoice_now and cancel_prorate settings apply). Owner only. Send an Idempotency-Key to retry safely.",
        IDEMPOTENCY,
        ApiBody({
          type: accountScoped ? CancelSubscriptionWithIdDto : CancelSubscriptionDto,
          examples: {
            periodEnd: { summary: 'At the end of the paid period', value: withId({ timing: 'period_end' }) },
            immediately: { summary: 'Now', value: withId({ timing: 'immediately' }) },
          },
        }),
        ApiOkResponse({
          type: SubscriptionView,
          description: 'The subscription as canceled',
          examples: {
            periodEnd: { summary: 'Set to cancel at the period end: active until then', value: CANCELING_SUBSCRIPTION },
            immediately: { summary: 'Canceled now', value: CANCELED_SUBSCRIPTION },
          },
        }),
        errors(true, STRIPE_MUTATION, { 400: ['validation_failed', 'invalid_idempotency_key'], 404: ['subscription_not_found', 'stripe_resource_missing'], 409: ['subscription_ended'] })),

    /** `body`: the account-scoped route's body (the subscription id), declared beside its controller. */
    resume: (body?: new () => object) =>
      op('resume', 'Undo a period-end cancellation',
        `Undoes \`cancel {"timing": "period_end"}\` on the account's subscription (named ${where}) before the period ends, or resumes a paused subscription. 409 \`not_scheduled_to_cancel\` when there is nothing to undo. Owner only. Send an Idempotency-Key to retry safely.`,
        IDEMPOTENCY,
        ...(body ? [ApiBody({ type: body, examples: { resume: { summary: 'The subscription set to cancel', value: { subscription_id: FLOW.subscriptionId } } } })] : []),
        ApiOkResponse({ type: SubscriptionView, description: 'The subscription, no longer set to cancel', example: YEARLY_SUBSCRIPTION }),
        errors(true, STRIPE_MUTATION, { 400: ['invalid_idempotency_key', ...(accountScoped ? (['validation_failed'] as const) : [])], 404: ['subscription_not_found', 'stripe_resource_missing'], 409: ['not_scheduled_to_cancel', 'subscription_ended'] })),
  };
};
