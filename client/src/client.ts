import createClient from 'openapi-fetch';
import { BillingApiError } from './errors.js';
import type { paths } from './schema.js';
import type {
  AccountInfo,
  AuditRecordPage,
  AuditRecordsQuery,
  AccountMerchant,
  ApiKey,
  AppPaymentCustomer,
  Application,
  CancelSubscriptionParams,
  CatalogSyncParams,
  CatalogSyncEntry,
  CatalogPrice,
  ChangePreview,
  ChangeSubscriptionParams,
  CheckoutSession,
  CreateApplicationParams,
  CreateCheckoutSessionParams,
  CreatedApplication,
  CreateMerchantParams,
  CreatePortalSessionParams,
  Feature,
  Identity,
  IssueApiKeyParams,
  IssuedApiKey,
  Invoice,
  Merchant,
  PortalSession,
  ReconcileRun,
  ReplayResult,
  RotatedWebhookSecret,
  RotateWebhookSecretParams,
  StartReconcileParams,
  StartTrialParams,
  Subscription,
  SyncResult,
  Trial,
  UpdateApplicationParams,
  UpdateMerchantParams,
  WebhookEvent,
  WebhookEventDetail,
  WebhookEventsQuery,
  WebhookEventStats,
} from './types.js';

/** A bearer token, or a function that gives the current one (called before every request). */
export type TokenSource = string | (() => string | null | undefined | Promise<string | null | undefined>);

export interface BillingClientOptions {
  /** The service's origin, e.g. `https://billing.example.com` (no trailing path needed). */
  baseUrl: string;
  /**
   * `Authorization: Bearer …`: an account JWT, a partner API key (`psk_…`) or the admin token. A
   * function is called before each request, so a page can hand over the token its host app
   * refreshes; an empty answer sends no Authorization header.
   */
  token?: TokenSource;
  /** `X-Application-Id`: the application an account request is for, when the token has no `app` claim. Partner calls also take it as the application of their path. */
  applicationId?: string;
  /**
   * Use the account-scoped routes (`/api/accounts/{accountId}/subscriptions…`) instead of the
   * account-less ones (`/api/subscriptions…`, the account from the token): for account managers
   * whose token names the account too. The token's account must be this one (else 403 `account_mismatch`).
   */
  accountId?: string;
  /** The fetch to send requests with (default: the global `fetch`): to add retries, logging, a test double. */
  fetch?: (request: Request) => Promise<Response>;
  /** Headers sent with every request (e.g. an `x-request-id` to trace a call through the service). */
  headers?: Record<string, string>;
}

export interface CallOptions {
  /** Aborts the request (rejects with the signal's reason, not a BillingApiError). */
  signal?: AbortSignal;
}

export interface MutationOptions extends CallOptions {
  /**
   * `Idempotency-Key`: a retry of the same call with the same key changes Stripe once and answers
   * the same (1 to 255 printable characters). The other mutations need none: they are idempotent
   * by themselves.
   */
  idempotencyKey?: string;
}

/** An account's subscriptions: what an account token (or an account manager's, with `accountId`) may do. */
export interface SubscriptionsApi {
  /** The account's subscriptions (the `data` of the answer). */
  list(options?: CallOptions): Promise<Subscription[]>;
  /** The features the account may use now (from subscriptions and platform trials). */
  features(options?: CallOptions): Promise<Feature[]>;
  /** The account's Stripe customer; 404 `identity_not_found` before its first purchase or trial. */
  identity(options?: CallOptions): Promise<Identity>;
  /** The merchants of the application, and whether the account is a customer of each. */
  merchants(options?: CallOptions): Promise<AccountMerchant[]>;
  /** A Stripe Checkout session for a catalog price: redirect the browser to its `url`. Owner only. */
  createCheckoutSession(params: CreateCheckoutSessionParams, options?: MutationOptions): Promise<CheckoutSession>;
  /** A Stripe Customer Portal session: redirect the browser to its `url`. Owner only. */
  createPortalSession(params: CreatePortalSessionParams, options?: CallOptions): Promise<PortalSession>;
  /** After the checkout's success redirect: the new subscription, at once, without waiting for webhooks. Owner only. */
  syncCheckoutSession(sessionId: string, options?: CallOptions): Promise<Subscription>;
  /** Reads the account's subscriptions from Stripe into the mirror; `allowDeletes` removes those Stripe no longer has. Owner only. */
  sync(params?: { allowDeletes?: boolean }, options?: CallOptions): Promise<SyncResult>;
  /** The prices of the application's catalog (product name, amount, interval): what may be bought. Any role. */
  catalog(options?: CallOptions): Promise<CatalogPrice[]>;
  /** The account's invoices for the application, newest first (at most 100). Any role. */
  invoices(options?: CallOptions): Promise<Invoice[]>;
  /** Who the token is for: account, application, roles and whether it may change billing. */
  account(options?: CallOptions): Promise<AccountInfo>;
  /** What `change` with the same params would bill now and at the next invoice, changing nothing. Any role. */
  previewChange(subscriptionId: string, params: ChangeSubscriptionParams, options?: CallOptions): Promise<ChangePreview>;
  /** Changes price (`price_id`), interval (`interval`) or seats (`quantity`). Owner only. */
  change(subscriptionId: string, params: ChangeSubscriptionParams, options?: MutationOptions): Promise<Subscription>;
  /** Cancels at the period's end (`timing: 'period_end'`, resumable) or now (`'immediately'`). Owner only. */
  cancel(subscriptionId: string, params: CancelSubscriptionParams, options?: MutationOptions): Promise<Subscription>;
  /** Takes back a cancellation at the period's end. Owner only. */
  resume(subscriptionId: string, options?: MutationOptions): Promise<Subscription>;
  /** The account's platform trial; 404 `trial_not_found` when it has none. */
  trial(options?: CallOptions): Promise<Trial>;
  /** Starts the account's platform trial of a catalog price (once per account). Owner only. */
  startTrial(params: StartTrialParams, options?: CallOptions): Promise<Trial>;
}

/** The contract lookup of a partner application (freee's AppPaymentCustomers), with its API key as the token. */
export interface PartnerApi {
  /** A company's contract with the application: one entry, or none when the company has no contract. */
  lookupCustomers(companyId: string, options?: PartnerCallOptions): Promise<AppPaymentCustomer[]>;
  /** The contracts of up to 1,000 companies in one call; companies without one are left out. */
  lookupCustomersBatch(companyIds: string[], options?: PartnerCallOptions): Promise<AppPaymentCustomer[]>;
}

export interface PartnerCallOptions extends CallOptions {
  /** The partner's application (default: the client's `applicationId`). */
  applicationId?: string;
}

/** The admin API, with the admin token as the token. */
export interface AdminApi {
  merchants: {
    list(options?: CallOptions): Promise<Merchant[]>;
    get(merchantId: string, options?: CallOptions): Promise<Merchant>;
    create(params: CreateMerchantParams, options?: CallOptions): Promise<Merchant>;
    update(merchantId: string, params: UpdateMerchantParams, options?: CallOptions): Promise<Merchant>;
  };
  applications: {
    list(options?: CallOptions): Promise<Application[]>;
    get(applicationId: string, options?: CallOptions): Promise<Application>;
    create(params: CreateApplicationParams, options?: CallOptions): Promise<CreatedApplication>;
    /** Changes the fields given; the others keep their values. */
    update(applicationId: string, params: UpdateApplicationParams, options?: CallOptions): Promise<Application>;
    /** A new webhook signing secret (generated unless given); the previous ones stay valid for the overlap. */
    rotateWebhookSecret(applicationId: string, params?: RotateWebhookSecretParams, options?: CallOptions): Promise<RotatedWebhookSecret>;
  };
  apiKeys: {
    /** A new partner API key of the application; its `key` is in this answer only. */
    issue(applicationId: string, params: IssueApiKeyParams, options?: CallOptions): Promise<IssuedApiKey>;
    list(applicationId: string, options?: CallOptions): Promise<ApiKey[]>;
    /** Revokes a key at once, on every instance. */
    revoke(applicationId: string, keyId: string, options?: CallOptions): Promise<ApiKey>;
  };
  webhookEvents: {
    list(query?: WebhookEventsQuery, options?: CallOptions): Promise<WebhookEvent[]>;
    get(eventId: string, options?: CallOptions): Promise<WebhookEventDetail>;
    /** Puts one stored event back in the queue. */
    replay(eventId: string, options?: CallOptions): Promise<ReplayResult>;
    /** Puts every dead event back in the queue. */
    replayDead(options?: CallOptions): Promise<ReplayResult>;
    /** Events per state. */
    stats(options?: CallOptions): Promise<WebhookEventStats>;
  };
  reconcileRuns: {
    list(query?: { limit?: number }, options?: CallOptions): Promise<ReconcileRun[]>;
    get(runId: string, options?: CallOptions): Promise<ReconcileRun>;
    /** Starts a run (answers at once unless `wait: true`); 409 when one is already running for that Stripe account. */
    start(params?: StartReconcileParams, options?: CallOptions): Promise<ReconcileRun>;
  };
  catalog: {
    /** Reads products, prices and features from Stripe into the catalog mirror. */
    sync(params?: CatalogSyncParams, options?: CallOptions): Promise<CatalogSyncEntry[]>;
  };
  audit: {
    /** One page of the audit trail, newest first; pass `next_cursor` as `cursor` for the next one. */
    list(query?: AuditRecordsQuery, options?: CallOptions): Promise<AuditRecordPage>;
  };
}

export interface BillingClient {
  subscriptions: SubscriptionsApi;
  partner: PartnerApi;
  admin: AdminApi;
}

/** What openapi-fetch resolves with: the parsed body of a 2xx in `data`, else of the error in `error`. */
interface Answer<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/** Per-request options handed to openapi-fetch: our headers and the caller's abort signal. */
type SendInit = {
  headers: Record<string, string>;
  signal?: AbortSignal;
};

/**
 * The billing API's client. Every method resolves with the answer's body (lists unwrapped from
 * `{ data: [...] }`, see the README) and rejects with a {@link BillingApiError}.
 */
export function createBillingClient(options: BillingClientOptions): BillingClient {
  const http = createClient<paths>({ baseUrl: options.baseUrl, ...(options.fetch ? { fetch: options.fetch } : {}) });

  async function headersFor(idempotencyKey?: string): Promise<Record<string, string>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.applicationId) headers['x-application-id'] = options.applicationId;
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    return headers;
  }

  /** Sends one request through openapi-fetch and turns anything but a 2xx into a thrown BillingApiError. */
  async function run<D>(send: (init: SendInit) => Promise<Answer<D>>, call: MutationOptions = {}): Promise<D> {
    // Outside the try: a failing token function is the host app's error, not a network failure.
    const headers = await headersFor(call.idempotencyKey);
    let answer: Answer<D>;
    try {
      answer = await send({ headers, ...(call.signal ? { signal: call.signal } : {}) });
    } catch (error) {
      // An abort is the caller's own doing: it keeps its own error (AbortError, or the signal's reason).
      if (call.signal?.aborted) throw error;
      throw BillingApiError.network(error);
    }
    if (!answer.response.ok) throw BillingApiError.fromResponse(answer.response, answer.error);
    return answer.data as D;
  }

  const accountPath = options.accountId === undefined ? undefined : { account_id: options.accountId };

  const subscriptions: SubscriptionsApi = {
    list: async (o) =>
      listOf<Subscription>(await run(async (init) => (accountPath ? await http.GET('/api/accounts/{account_id}/subscriptions', { ...init, params: { path: accountPath } }) : await http.GET('/api/subscriptions', init)), o)),
    features: async (o) =>
      listOf<Feature>(await run(async (init) => (accountPath ? await http.GET('/api/accounts/{account_id}/subscriptions/features', { ...init, params: { path: accountPath } }) : await http.GET('/api/subscriptions/features', init)), o)),
    identity: (o) =>
      run(async (init) => (accountPath ? await http.GET('/api/accounts/{account_id}/subscriptions/identity', { ...init, params: { path: accountPath } }) : await http.GET('/api/subscriptions/identity', init)), o),
    merchants: async (o) =>
      listOf<AccountMerchant>(await run(async (init) => (accountPath ? await http.GET('/api/accounts/{account_id}/subscriptions/merchants', { ...init, params: { path: accountPath } }) : await http.GET('/api/subscriptions/merchants', init)), o)),
    createCheckoutSession: (body, o) =>
      run(
        async (init) =>
          accountPath
            ? await http.POST('/api/accounts/{account_id}/subscriptions/stripe/checkout-session', { ...init, params: { path: accountPath }, body })
            : await http.POST('/api/subscriptions/stripe/checkout-session', { ...init, body }),
        o,
      ),
    createPortalSession: (body, o) =>
      run(
        async (init) =>
          accountPath
            ? await http.POST('/api/accounts/{account_id}/subscriptions/stripe/portal-session', { ...init, params: { path: accountPath }, body })
            : await http.POST('/api/subscriptions/stripe/portal-session', { ...init, body }),
        o,
      ),
    syncCheckoutSession: (sessionId, o) =>
      run(
        async (init) =>
          accountPath
            ? await http.POST('/api/accounts/{account_id}/subscriptions/stripe/checkout-session-sync', { ...init, params: { path: accountPath }, body: { session_id: sessionId } })
            : await http.POST('/api/subscriptions/stripe/checkout-session-sync', { ...init, body: { session_id: sessionId } }),
        o,
      ),
    sync: (params = {}, o) => {
      const query = params.allowDeletes === undefined ? {} : { allow_deletes: params.allowDeletes };
      return run(
        async (init) =>
          accountPath
            ? await http.POST('/api/accounts/{account_id}/subscriptions/sync', { ...init, params: { path: accountPath, query } })
            : await http.POST('/api/subscriptions/sync', { ...init, params: { query } }),
        o,
      );
    },
    // The catalog, invoices and account reads exist on the account-less routes only (the account is the token's).
    catalog: async (o) => listOf<CatalogPrice>(await run(async (init) => await http.GET('/api/subscriptions/catalog', init), o)),
    invoices: async (o) => listOf<Invoice>(await run(async (init) => await http.GET('/api/subscriptions/invoices', init), o)),
    account: (o) => run(async (init) => await http.GET('/api/subscriptions/account', init), o),
    previewChange: (subscriptionId, body, o) =>
      run(
        async (init) =>
          accountPath
            ? await http.POST('/api/accounts/{account_id}/subscriptions/change/preview', { ...init, params: { path: accountPath }, body: { ...body, subscription_id: subscriptionId } })
            : await http.POST('/api/subscriptions/{subscription_id}/change/preview', { ...init, params: { path: { subscription_id: subscriptionId } }, body }),
        o,
      ),
    change: (subscriptionId, body, o) =>
      run(
        async (init) =>
          accountPath
            ? await http.POST('/api/accounts/{account_id}/subscriptions/change', { ...init, params: { path: accountPath }, body: { ...body, subscription_id: subscriptionId } })
            : await http.POST('/api/subscriptions/{subscription_id}/change', { ...init, params: { path: { subscription_id: subscriptionId } }, body }),
        o,
      ),
    cancel: (subscriptionId, body, o) =>
      run(
        async (init) =>
          accountPath
            ? await http.POST('/api/accounts/{account_id}/subscriptions/cancel', { ...init, params: { path: accountPath }, body: { ...body, subscription_id: subscriptionId } })
            : await http.POST('/api/subscriptions/{subscription_id}/cancel', { ...init, params: { path: { subscription_id: subscriptionId } }, body }),
        o,
      ),
    resume: (subscriptionId, o) =>
      run(
        async (init) =>
          accountPath
            ? await http.POST('/api/accounts/{account_id}/subscriptions/resume', { ...init, params: { path: accountPath }, body: { subscription_id: subscriptionId } })
            : await http.POST('/api/subscriptions/{subscription_id}/resume', { ...init, params: { path: { subscription_id: subscriptionId } } }),
        o,
      ),
    trial: (o) =>
      run(async (init) => (accountPath ? await http.GET('/api/accounts/{account_id}/subscriptions/trial', { ...init, params: { path: accountPath } }) : await http.GET('/api/subscriptions/trial', init)), o),
    startTrial: (body, o) =>
      run(
        async (init) =>
          accountPath
            ? await http.POST('/api/accounts/{account_id}/subscriptions/trial', { ...init, params: { path: accountPath }, body })
            : await http.POST('/api/subscriptions/trial', { ...init, body }),
        o,
      ),
  };

  const partnerApplication = (o?: PartnerCallOptions): string => {
    const applicationId = o?.applicationId ?? options.applicationId;
    // The lookup's path names the application: refuse before sending rather than guess one.
    if (!applicationId) throw new TypeError('The partner lookup needs an application: set applicationId on the client or the call.');
    return applicationId;
  };

  const partner: PartnerApi = {
    lookupCustomers: async (companyId, o) => {
      const application_id = partnerApplication(o);
      return (await run((init) => http.GET('/api/applications/{application_id}/app-payment-customers', { ...init, params: { path: { application_id }, query: { company_id: companyId } } }), o)).app_payment_customers;
    },
    lookupCustomersBatch: async (companyIds, o) => {
      const application_id = partnerApplication(o);
      return (await run((init) => http.POST('/api/applications/{application_id}/app-payment-customers/batch', { ...init, params: { path: { application_id } }, body: { company_ids: companyIds } }), o)).app_payment_customers;
    },
  };

  const admin: AdminApi = {
    merchants: {
      list: async (o) => listOf<Merchant>(await run((init) => http.GET('/admin/merchants', init), o)),
      get: (merchant_id, o) => run((init) => http.GET('/admin/merchants/{merchant_id}', { ...init, params: { path: { merchant_id } } }), o),
      create: (body, o) => run((init) => http.POST('/admin/merchants', { ...init, body }), o),
      update: (merchant_id, body, o) => run((init) => http.PATCH('/admin/merchants/{merchant_id}', { ...init, params: { path: { merchant_id } }, body }), o),
    },
    applications: {
      list: async (o) => listOf<Application>(await run((init) => http.GET('/admin/applications', init), o)),
      get: (application_id, o) => run((init) => http.GET('/admin/applications/{application_id}', { ...init, params: { path: { application_id } } }), o),
      create: (body, o) => run((init) => http.POST('/admin/applications', { ...init, body }), o),
      update: (application_id, body, o) => run((init) => http.PATCH('/admin/applications/{application_id}', { ...init, params: { path: { application_id } }, body }), o),
      rotateWebhookSecret: (application_id, body = {}, o) =>
        run((init) => http.POST('/admin/applications/{application_id}/webhook-secret/rotate', { ...init, params: { path: { application_id } }, body }), o),
    },
    apiKeys: {
      issue: (application_id, body, o) => run((init) => http.POST('/admin/applications/{application_id}/api-keys', { ...init, params: { path: { application_id } }, body }), o),
      list: async (application_id, o) => listOf<ApiKey>(await run((init) => http.GET('/admin/applications/{application_id}/api-keys', { ...init, params: { path: { application_id } } }), o)),
      revoke: (application_id, key_id, o) => run((init) => http.DELETE('/admin/applications/{application_id}/api-keys/{key_id}', { ...init, params: { path: { application_id, key_id } } }), o),
    },
    webhookEvents: {
      list: async (query = {}, o) => listOf<WebhookEvent>(await run((init) => http.GET('/admin/webhook-events', { ...init, params: { query } }), o)),
      get: (event_id, o) => run((init) => http.GET('/admin/webhook-events/{event_id}', { ...init, params: { path: { event_id } } }), o),
      replay: (event_id, o) => run((init) => http.POST('/admin/webhook-events/{event_id}/replay', { ...init, params: { path: { event_id } } }), o),
      replayDead: (o) => run((init) => http.POST('/admin/webhook-events/replay-dead', init), o),
      stats: (o) => run((init) => http.GET('/admin/webhook-events/stats', init), o),
    },
    reconcileRuns: {
      list: async (query = {}, o) => listOf<ReconcileRun>(await run((init) => http.GET('/admin/reconcile-runs', { ...init, params: { query } }), o)),
      get: (run_id, o) => run((init) => http.GET('/admin/reconcile-runs/{run_id}', { ...init, params: { path: { run_id } } }), o),
      start: (body = {}, o) => run((init) => http.POST('/admin/reconcile-runs', { ...init, body }), o),
    },
    catalog: {
      sync: async (body = {}, o) => listOf<CatalogSyncEntry>(await run((init) => http.POST('/admin/catalog-sync', { ...init, body }), o)),
    },
    audit: {
      list: (query = {}, o) => run((init) => http.GET('/admin/audit-records', { ...init, params: { query } }), o),
    },
  };

  return { subscriptions, partner, admin };
}

/**
 * A list answer's array. The service answers lists as `{ data: [...] }`; a bare array is taken too,
 * since the document declares some admin lists so, and the types follow the document.
 */
function listOf<T>(body: unknown): T[] {
  if (Array.isArray(body)) return body as T[];
  const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
  if (Array.isArray(data)) return data as T[];
  throw new BillingApiError({ status: 200, code: 'unexpected_response', message: 'The answer is not the list the API documents.', body });
}
