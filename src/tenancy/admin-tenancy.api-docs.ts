import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ADMIN_AUTH, ApiErrors, STRIPE_CALLS, type ErrorSpec } from '../infra/http/errors.api-docs.js';
import { FLOW } from '../infra/http/seed-flow.api-docs.js';
import {
  AdminMerchantListResponse,
  ApiKeyListResponse,
  ApiKeyResponse,
  ApplicationListResponse,
  ApplicationResponse,
  CreateApplicationDto,
  CreateMerchantDto,
  IssueApiKeyDto,
  IssuedApiKeyResponse,
  MerchantResponse,
  RotateWebhookSecretDto,
  RotateWebhookSecretResponse,
  UpdateApplicationDto,
  UpdateMerchantDto,
} from './tenancy.dto.js';

/** The OpenAPI description of the admin tenancy routes (merchants, applications, secrets, keys); see docs/admin.md. */
const op = (operationId: string, summary: string, description: string, errors: ErrorSpec, ...more: (MethodDecorator | ClassDecorator)[]) =>
  applyDecorators(ApiOperation({ operationId, summary, description }), ...more, ApiErrors(ADMIN_AUTH, errors));

const MERCHANT_ID = ApiParam({ name: 'merchant_id', description: 'Our id of the merchant', example: FLOW.connectedMerchantId });
const APPLICATION_ID = ApiParam({ name: 'application_id', description: 'Our id of the application', example: FLOW.applicationId });
const KEY_ID = ApiParam({ name: 'key_id', description: 'The id of the API key (not the key)', example: FLOW.apiKeyId });

const PLATFORM_MERCHANT = {
  id: FLOW.merchantId, display_name: 'Platform', charge_model: 'platform', stripe_account_id: null, application_fee_percent: null, country: 'JP', default_currency: 'jpy', status: 'active', created_at: '2026-11-01T00:00:00.000Z',
};
const CONNECTED_MERCHANT = {
  id: FLOW.connectedMerchantId, display_name: 'さくらアプリ株式会社', charge_model: 'direct', stripe_account_id: FLOW.connectedAccount, application_fee_percent: 10, country: 'JP', default_currency: 'jpy', status: 'active', created_at: '2026-11-10T00:00:00.000Z',
};
const APPLICATION = {
  id: FLOW.applicationId,
  name: FLOW.applicationName,
  merchant_id: FLOW.merchantId,
  allowed_origins: [FLOW.origin],
  price_ids: [FLOW.monthlyPrice, FLOW.yearlyPrice],
  allow_multiple_subscriptions_per_product: false,
  past_due_grace_days: 7,
  trial_days: 14,
  cancel_invoice_now: false,
  cancel_prorate: false,
  webhook_secrets_active: 1,
  created_at: '2026-11-01T00:00:00.000Z',
};
const API_KEY = { id: FLOW.apiKeyId, name: 'freee production', prefix: 'psk_Xk2v9aQ1', created_at: '2026-11-15T00:00:00.000Z', last_used_at: '2026-11-20T08:30:00.000Z', revoked_at: null };

/** Checking catalog prices the mirror does not hold asks Stripe, on the merchant's account. */
const CATALOG_CHECK: ErrorSpec = { ...STRIPE_CALLS, 400: ['validation_failed', 'price_not_found', 'price_inactive'] };

export const AdminTenancyDocs = {
  createMerchant: () =>
    op('admin.merchants.create', 'Create a merchant (the platform or a connected account)',
      'A merchant is a Stripe account that sells: `platform` (the platform account; no connected account, no fee), `direct` (objects on the connected account, `Stripe-Account`) or `destination` ' +
        '(objects on the platform, money transferred to the connected account). direct and destination need `stripe_account_id`; the charge model and account cannot change afterwards. `id` defaults to a slug of `display_name`.',
      { 400: ['validation_failed', 'stripe_account_required', 'stripe_account_not_allowed', 'application_fee_not_allowed'], 409: ['merchant_exists'] },
      ApiBody({
        type: CreateMerchantDto,
        examples: {
          direct: { summary: 'A connected account selling with direct charges, 10% platform fee', value: { id: FLOW.connectedMerchantId, display_name: 'さくらアプリ株式会社', charge_model: 'direct', stripe_account_id: FLOW.connectedAccount, application_fee_percent: 10 } },
          platform: { summary: 'A second brand on the platform account', value: { id: 'inbox-platform', display_name: 'Inbox Manager (platform)', charge_model: 'platform' } },
        },
      }),
      ApiCreatedResponse({ type: MerchantResponse, description: 'The merchant as created', example: CONNECTED_MERCHANT })),

  listMerchants: () =>
    op('admin.merchants.list', 'List merchants', 'Every merchant, oldest first, including those whose connected account left the platform (`status: deauthorized`: none of their companies is contracted any more).', {},
      ApiOkResponse({ type: AdminMerchantListResponse, example: { data: [PLATFORM_MERCHANT, CONNECTED_MERCHANT] } })),

  getMerchant: () =>
    op('admin.merchants.get', 'Show a merchant', 'One merchant by id: its charge model, connected account, fee, and whether it is still active (a deauthorized merchant sells nothing; its subscriptions grant no access).', { 404: ['merchant_not_found'] }, MERCHANT_ID,
      ApiOkResponse({ type: MerchantResponse, example: CONNECTED_MERCHANT })),

  updateMerchant: () =>
    op('admin.merchants.update', 'Change a merchant',
      'Changes the fields given (display name, fee, country, currency), keeps the others; applies at once on every instance. The charge model and connected account cannot change; a platform merchant takes no fee.',
      { 400: ['validation_failed', 'application_fee_not_allowed'], 404: ['merchant_not_found'] }, MERCHANT_ID,
      ApiBody({ type: UpdateMerchantDto, examples: { fee: { summary: 'Raise the platform fee to 12.5%', value: { application_fee_percent: 12.5 } } } }),
      ApiOkResponse({ type: MerchantResponse, description: 'The merchant as changed', example: { ...CONNECTED_MERCHANT, application_fee_percent: 12.5 } })),

  createApplication: () =>
    op('admin.applications.create', 'Create an application sold through a merchant',
      "An application is what is sold, through one merchant: its catalog (`price_ids`: the only prices that may be bought through it), the origins its success, cancel and return URLs may point at, and its policies. " +
        "Every price is checked first (the mirror, else Stripe on the merchant's account): one Stripe does not have, or archived, is a 400 and nothing is written. " +
        "The answer carries the webhook signing secret once when the service generated it: set it on the application's Stripe webhook endpoint (`/api/applications/{application_id}/subscriptions/stripe/webhook`).",
      { ...CATALOG_CHECK, 400: ['validation_failed', 'merchant_not_found', 'price_not_found', 'price_inactive'], 409: ['application_exists'] },
      ApiBody({
        type: CreateApplicationDto,
        examples: {
          inboxManager: {
            summary: 'Inbox Manager: monthly and yearly plans, sold on the platform account',
            value: { id: FLOW.applicationId, name: FLOW.applicationName, merchant_id: FLOW.merchantId, allowed_origins: [FLOW.origin], price_ids: [FLOW.monthlyPrice, FLOW.yearlyPrice], trial_days: 14, past_due_grace_days: 7 },
          },
        },
      }),
      ApiCreatedResponse({ type: ApplicationResponse, description: 'The application; `webhook_secret` only when generated', example: { ...APPLICATION, webhook_secret: 'whsec_9vQ2mK7xT4bL1nR8pS0wY3zC6dF5gH2j' } })),

  listApplications: () =>
    op('admin.applications.list', 'List applications', 'Every application, oldest first, with its catalog, allowed origins and policies, and how many webhook secrets it accepts (never the secrets themselves).', {},
      ApiOkResponse({ type: ApplicationListResponse, example: { data: [APPLICATION] } })),

  getApplication: () =>
    op('admin.applications.get', 'Show an application', 'One application by id, with its catalog, allowed origins and policies, and how many webhook secrets it accepts now (never the secrets themselves).', { 404: ['application_not_found'] }, APPLICATION_ID,
      ApiOkResponse({ type: ApplicationResponse, example: APPLICATION })),

  updateApplication: () =>
    op('admin.applications.update', 'Change an application; price_ids replaces the catalog',
      'Changes the fields given and keeps the others. `price_ids` replaces the whole catalog; prices not yet in it are checked as at creation (a listed price archived since stays listable: checkout refuses to sell it). Applies at once on every instance.',
      { ...CATALOG_CHECK, 404: ['application_not_found'] }, APPLICATION_ID,
      ApiBody({
        type: UpdateApplicationDto,
        examples: {
          catalog: { summary: 'Sell the metered price too', value: { price_ids: [FLOW.monthlyPrice, FLOW.yearlyPrice, FLOW.meteredPrice] } },
          origins: { summary: 'Allow a staging origin', value: { allowed_origins: [FLOW.origin, 'https://staging.inbox-manager.com'] } },
        },
      }),
      ApiOkResponse({ type: ApplicationResponse, description: 'The application as changed', example: { ...APPLICATION, price_ids: [FLOW.monthlyPrice, FLOW.yearlyPrice, FLOW.meteredPrice] } })),

  rotateWebhookSecret: () =>
    op('admin.applications.rotateWebhookSecret', 'Add a new webhook signing secret; the previous ones stay valid for the overlap',
      "After rolling the endpoint's secret in Stripe, store the new one here (or let the service generate one): webhooks signed with either verify until `previous_expires_at` (`overlap_hours`, default WEBHOOK_SECRET_OVERLAP_HOURS; 0 ends the old ones now, on every instance at once).",
      { 400: ['validation_failed'], 404: ['application_not_found'] }, APPLICATION_ID,
      ApiBody({ type: RotateWebhookSecretDto, examples: { fromStripe: { summary: "Stripe's new secret, the old one valid 24 hours more", value: { secret: 'whsec_4kP8sN2vB6xM9qT1wR5yL3hJ7dG0fC8a', overlap_hours: 24 } } } }),
      ApiOkResponse({ type: RotateWebhookSecretResponse, example: { secret: 'whsec_4kP8sN2vB6xM9qT1wR5yL3hJ7dG0fC8a', previous_expires_at: '2026-11-21T09:00:00.000Z' } })),

  issueApiKey: () =>
    op('admin.applications.issueApiKey', 'Issue a partner API key (the key is shown once)',
      "A key for a partner (a freee-style app store) to call the application's contract lookup: `Authorization: Bearer psk_...` or `X-Api-Key`. The key is in this answer only; the service keeps a hash.",
      { 400: ['validation_failed'], 404: ['application_not_found'] }, APPLICATION_ID,
      ApiBody({ type: IssueApiKeyDto, examples: { freee: { summary: 'A key for the partner', value: { name: 'freee production' } } } }),
      ApiCreatedResponse({ type: IssuedApiKeyResponse, description: 'Store `key` now: it is not shown again', example: { ...API_KEY, last_used_at: null, key: 'psk_Xk2v9aQ1Lm3Np5Rt7Vx9Zb2Dc4Fe6Gh8Jk0Mn2Pq4S' } })),

  listApiKeys: () =>
    op('admin.applications.listApiKeys', "List an application's API keys (never the keys themselves)", 'Every key of the application, revoked ones included, with its prefix (to tell keys apart) and when it was last used (to the minute): a key unused for long is a candidate for revocation.',
      { 404: ['application_not_found'] }, APPLICATION_ID,
      ApiOkResponse({ type: ApiKeyListResponse, example: { data: [API_KEY] } })),

  revokeApiKey: () =>
    op('admin.applications.revokeApiKey', 'Revoke a partner API key', 'The key stops working at once on every instance (401 `api_key_revoked`). Revoking a revoked key changes nothing.',
      { 404: ['api_key_not_found'] }, APPLICATION_ID, KEY_ID,
      ApiOkResponse({ type: ApiKeyResponse, description: 'The key as revoked', example: { ...API_KEY, revoked_at: '2026-11-21T00:00:00.000Z' } })),
};
