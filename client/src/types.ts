/**
 * Names for the API's request and answer shapes, taken from the generated `paths` by route rather
 * than by schema name, so that they follow the document whatever its schemas are called.
 */
import type { paths } from './schema.js';

type Operation<P extends keyof paths, M extends keyof paths[P]> = paths[P][M];

/** The JSON body of an operation's success answer (its 200, 201 or 202). */
export type ResponseBody<P extends keyof paths, M extends keyof paths[P]> =
  Operation<P, M> extends { responses: infer R }
    ? R extends { 200: { content: { 'application/json': infer B } } }
      ? B
      : R extends { 201: { content: { 'application/json': infer B } } }
        ? B
        : R extends { 202: { content: { 'application/json': infer B } } }
          ? B
          : never
    : never;

/** The JSON body an operation takes. */
export type RequestBody<P extends keyof paths, M extends keyof paths[P]> =
  Operation<P, M> extends { requestBody?: infer RB } ? (NonNullable<RB> extends { content: { 'application/json': infer B } } ? B : never) : never;

/** An operation's query parameters. */
export type QueryParams<P extends keyof paths, M extends keyof paths[P]> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/**
 * The element of a list answer: `{ data: [...] }`, or a bare array as the document declares some
 * admin lists; `unknown` while the document gives the answer no schema.
 */
export type ListItem<T> = unknown extends T ? unknown : T extends readonly (infer I)[] ? I : T extends { data: readonly (infer I)[] } ? I : never;
type Item<T> = T extends readonly (infer I)[] ? I : never;

// Accounts (the account-less routes; the account-scoped ones answer the same shapes).
/** A subscription of the account, as the mirror holds it. */
export type Subscription = ListItem<ResponseBody<'/api/subscriptions', 'get'>>;
/** A feature the account may use now, and until when. */
export type Feature = ListItem<ResponseBody<'/api/subscriptions/features', 'get'>>;
/** A merchant the account can buy from through this application. */
export type AccountMerchant = ListItem<ResponseBody<'/api/subscriptions/merchants', 'get'>>;
/** The account's Stripe customer. */
export type Identity = ResponseBody<'/api/subscriptions/identity', 'get'>;
/** The account's platform trial. */
export type Trial = ResponseBody<'/api/subscriptions/trial', 'get'>;
export type CheckoutSession = ResponseBody<'/api/subscriptions/stripe/checkout-session', 'post'>;
export type PortalSession = ResponseBody<'/api/subscriptions/stripe/portal-session', 'post'>;
/** What a sync from Stripe did, and the account's subscriptions after it. */
export type SyncResult = ResponseBody<'/api/subscriptions/sync', 'post'>;

/** A price of the application's catalog, with its product's name, as the billing page offers it. */
export type CatalogPrice = ListItem<ResponseBody<'/api/subscriptions/catalog', 'get'>>;
/** An invoice of the account for the application, newest first. */
export type Invoice = ListItem<ResponseBody<'/api/subscriptions/invoices', 'get'>>;
/** Who the token is for: account, application, roles and whether it may change billing. */
export type AccountInfo = ResponseBody<'/api/subscriptions/account', 'get'>;
/** What a change would bill, now and at the next invoice, without making it. */
export type ChangePreview = ResponseBody<'/api/subscriptions/{subscription_id}/change/preview', 'post'>;

export type CreateCheckoutSessionParams = RequestBody<'/api/subscriptions/stripe/checkout-session', 'post'>;
export type CreatePortalSessionParams = RequestBody<'/api/subscriptions/stripe/portal-session', 'post'>;
export type StartTrialParams = RequestBody<'/api/subscriptions/trial', 'post'>;
/** One of `interval`, `price_id` or `quantity` (or `price_id` with `quantity`), and optionally `proration_behavior`. */
export type ChangeSubscriptionParams = RequestBody<'/api/subscriptions/{subscription_id}/change', 'post'>;
export type CancelSubscriptionParams = RequestBody<'/api/subscriptions/{subscription_id}/cancel', 'post'>;

// Partners.
/** A company's contract with the application (freee's AppPaymentCustomers entry). */
export type AppPaymentCustomer = Item<ResponseBody<'/api/applications/{application_id}/app-payment-customers', 'get'>['app_payment_customers']>;

// Admins.
export type Merchant = ResponseBody<'/admin/merchants/{merchant_id}', 'get'>;
export type CreateMerchantParams = RequestBody<'/admin/merchants', 'post'>;
export type UpdateMerchantParams = RequestBody<'/admin/merchants/{merchant_id}', 'patch'>;
export type Application = ResponseBody<'/admin/applications/{application_id}', 'get'>;
/** The application as created, with its webhook secret (shown once when generated). */
export type CreatedApplication = ResponseBody<'/admin/applications', 'post'>;
export type CreateApplicationParams = RequestBody<'/admin/applications', 'post'>;
export type UpdateApplicationParams = RequestBody<'/admin/applications/{application_id}', 'patch'>;
export type RotateWebhookSecretParams = RequestBody<'/admin/applications/{application_id}/webhook-secret/rotate', 'post'>;
export type RotatedWebhookSecret = ResponseBody<'/admin/applications/{application_id}/webhook-secret/rotate', 'post'>;
export type IssueApiKeyParams = RequestBody<'/admin/applications/{application_id}/api-keys', 'post'>;
/** A new partner API key: `key` is shown this once. */
export type IssuedApiKey = ResponseBody<'/admin/applications/{application_id}/api-keys', 'post'>;
export type ApiKey = ListItem<ResponseBody<'/admin/applications/{application_id}/api-keys', 'get'>>;
export type WebhookEventsQuery = QueryParams<'/admin/webhook-events', 'get'>;
export type WebhookEvent = ListItem<ResponseBody<'/admin/webhook-events', 'get'>>;
export type WebhookEventDetail = ResponseBody<'/admin/webhook-events/{event_id}', 'get'>;
export type WebhookEventStats = ResponseBody<'/admin/webhook-events/stats', 'get'>;
export type ReplayResult = ResponseBody<'/admin/webhook-events/{event_id}/replay', 'post'>;
export type ReconcileRun = ResponseBody<'/admin/reconcile-runs/{run_id}', 'get'>;
export type StartReconcileParams = RequestBody<'/admin/reconcile-runs', 'post'>;
export type CatalogSyncParams = RequestBody<'/admin/catalog-sync', 'post'>;
export type AuditRecordsQuery = QueryParams<'/admin/audit-records', 'get'>;
/** A page of the audit trail, newest first; `next_cursor` is the `cursor` of the next page (null on the last). */
export type AuditRecordPage = ResponseBody<'/admin/audit-records', 'get'>;
export type AuditRecord = AuditRecordPage['data'][number];
/** What a catalog sync read, per Stripe account. */
export type CatalogSyncEntry = ListItem<ResponseBody<'/admin/catalog-sync', 'post'>>;
