/**
 * Every error code the service answers with: its HTTP status, a sentence saying when, and the
 * message (and details) a client sees. The OpenAPI document's error examples are built from it
 * (src/infra/http/errors.api-docs.ts), and test/openapi-quality.spec.ts checks both ways: every
 * code the source throws is here at the status it is thrown with, every code here is used by the
 * source, and the document shows no code at a status it cannot have. A new code goes here first.
 *
 * `status` is the one a code has; `alsoAt` lists the rare other one (`merchant_not_found` is a 400
 * where the merchant is named in a body, a 404 where it is the resource asked for).
 */
export interface ErrorCodeInfo {
  readonly status: number;
  readonly alsoAt?: readonly number[];
  /** When the code is answered, in one sentence. */
  readonly when: string;
  /** A message as the service writes it. */
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export const ERROR_CODES = {
  // ---- 400: the request itself is wrong ----
  validation_failed: {
    status: 400,
    when: 'A field of the body or query is missing, of the wrong type, out of range or unknown; `details.fields` names each field with its problems.',
    message: 'quantity must not be less than 1',
    details: { fields: { quantity: ['quantity must not be less than 1'] } },
  },
  malformed_json: { status: 400, when: 'The body is not valid JSON.', message: 'The body is not valid JSON.' },
  body_too_deep: { status: 400, when: 'The body nests arrays and objects deeper than BODY_MAX_DEPTH (64) levels.', message: 'The body nests arrays and objects deeper than 64 levels.' },
  invalid_characters: {
    status: 400,
    when: 'A path parameter, query value or JSON string holds a NUL character or an unpaired UTF-16 surrogate (text PostgreSQL cannot store); `details` names the field.',
    message: 'name (body) contains a NUL character or an unpaired UTF-16 surrogate.',
    details: { field: 'name', in: 'body' },
  },
  invalid_idempotency_key: { status: 400, when: 'The Idempotency-Key header is longer than 255 characters or not printable ASCII.', message: 'Idempotency-Key must be 1 to 255 printable characters.' },
  invalid_time_range: { status: 400, when: 'A time range whose `from` is not before its `to` (the audit trail\'s filters).', message: '`from` must be before `to`.' },
  bad_request: { status: 400, when: 'The request is not valid HTTP, or was refused by the framework before it reached a route.', message: 'The request is not valid HTTP.' },
  price_not_in_catalog: { status: 400, when: "The price is not in the application's catalog.", message: 'The price price_1QyT0tLkdIwHu7ixyearly01 is not sold by this application.' },
  price_not_found: { status: 400, when: "Stripe has no such price (on the merchant's Stripe account).", message: 'Stripe has no price price_1QyT0tLkdIwHu7ixfixed001.', details: { price_id: 'price_1QyT0tLkdIwHu7ixfixed001' } },
  price_inactive: { status: 400, when: 'The price is archived in Stripe and can no longer be bought.', message: 'The price price_1QyT0tLkdIwHu7ixfixed001 can no longer be bought.' },
  no_price_for_interval: { status: 400, when: "The catalog has no active price of the subscription's product with the interval asked for.", message: 'This plan has no yearly price in the catalog.' },
  redirect_not_allowed: {
    status: 400,
    when: "A success, cancel or return URL is not a URL or points outside the application's allowed origins (no open redirects).",
    message: 'success_url must point at an allowed origin of the application (https://evil.example is not one).',
  },
  conflicting_change: { status: 400, when: 'A change names both price_id and interval.', message: 'Give price_id or interval, not both.' },
  nothing_to_change: { status: 400, when: 'A change names none of price_id, interval and quantity.', message: 'Give price_id, interval or quantity.' },
  stripe_account_required: { status: 400, when: 'A direct or destination merchant is created without stripe_account_id.', message: 'A direct merchant needs stripe_account_id (acct_...).' },
  stripe_account_not_allowed: { status: 400, when: 'A platform merchant is given a stripe_account_id.', message: 'A platform merchant sells on the platform account: leave stripe_account_id out.' },
  application_fee_not_allowed: { status: 400, when: 'A platform merchant is given an application fee.', message: 'A platform merchant takes no application fee.' },
  merchant_required: { status: 400, when: 'A reconcile of scope merchant names no merchant_id.', message: 'A merchant reconcile needs merchant_id.' },
  account_required: { status: 400, when: 'A reconcile of scope account names no account_id.', message: 'An account reconcile needs account_id.' },
  invalid_payload: { status: 400, when: 'A webhook arrived with an empty body.', message: 'The body must be the Stripe event as JSON.' },
  missing_signature: { status: 400, when: 'A webhook arrived without a Stripe-Signature header.', message: 'The Stripe-Signature header is missing.' },
  malformed_signature: { status: 400, when: 'The Stripe-Signature header has no timestamp or no v1 signature.', message: 'The Stripe-Signature header has no timestamp or no v1 signature.' },
  invalid_signature: { status: 400, when: "No signature of the header matches a current webhook secret of the application.", message: 'No signature matches a webhook secret of this application.' },
  stale_signature: { status: 400, when: "The signature's timestamp is further from now than WEBHOOK_TOLERANCE_SECONDS.", message: 'The signature timestamp is more than 300 s away from now.' },
  invalid_event: { status: 400, when: 'A correctly signed body is not a Stripe event.', message: 'The body is not a Stripe event (object, id, type, created as unix seconds, data.object; livemode and api_version when present).' },

  // ---- 401: no or wrong credentials ----
  missing_token: { status: 401, when: 'No `Authorization: Bearer` token was sent.', message: 'Send an account token as "Authorization: Bearer <jwt>".' },
  invalid_token: { status: 401, when: 'The account token is malformed, badly signed, or has a claim that is not accepted.', message: 'The token is not valid.' },
  token_expired: { status: 401, when: 'The account token has expired: get a fresh one.', message: 'The token has expired.' },
  missing_account_claim: { status: 401, when: 'The account token has no claim naming the account (`acc` by default).', message: 'The token has no "acc" claim naming the account.' },
  invalid_account_claim: { status: 401, when: "The token's account claim is not text of at most 255 storable characters.", message: 'The token\'s "acc" claim must be text of at most 255 characters, without NUL or unpaired surrogates.' },
  invalid_admin_token: { status: 401, when: 'The bearer token is not the admin token.', message: 'The admin token is not valid.' },
  missing_api_key: { status: 401, when: 'No partner API key was sent (`Authorization: Bearer psk_...` or `X-Api-Key`).', message: 'Send the application API key as "Authorization: Bearer <key>".' },
  invalid_api_key: { status: 401, when: 'The partner API key is unknown.', message: 'The API key is not valid.' },
  api_key_revoked: { status: 401, when: 'The partner API key has been revoked.', message: 'The API key has been revoked.' },
  unauthorized: { status: 401, when: 'A 401 raised by the framework rather than by the service (not expected on documented routes).', message: 'Unauthorized' },

  // ---- 403: authenticated, but not allowed ----
  account_mismatch: { status: 403, when: 'The token is for another account than the `account_id` of the path.', message: 'The token is for another account.' },
  owner_role_required: { status: 403, when: "A change of billing by a token without the owner role.", message: 'Only the account\'s owner (role "owner") may do this.' },
  application_mismatch: { status: 403, when: "X-Application-Id names another application than the token's `app` claim.", message: 'X-Application-Id names another application than the token.' },
  origin_not_allowed: { status: 403, when: "A browser request from an origin that is not one of the application's allowed origins.", message: "The origin https://evil.example is not one of the application's allowed origins." },
  api_key_wrong_application: { status: 403, when: 'The partner API key belongs to another application than the one in the path.', message: 'This API key belongs to another application.' },
  forbidden: { status: 403, when: 'A 403 raised by the framework rather than by the service (not expected on documented routes).', message: 'Forbidden' },

  // ---- 404: not found, or not yours ----
  not_found: { status: 404, when: 'No route has this method and path.', message: 'Cannot GET /api/subscription' },
  application_not_found: { status: 404, when: "No application has this id (the path's, the token's `app` claim, X-Application-Id or DEFAULT_APPLICATION_ID).", message: 'No application "inbox-manager".' },
  merchant_not_found: { status: 404, alsoAt: [400], when: 'No merchant has this id (a 400 when the merchant is named in the body of an application to create).', message: 'No merchant "acme-jp".' },
  identity_not_found: { status: 404, when: "The account has no Stripe customer at the application's merchant yet (it gets one at its first checkout or trial).", message: 'The account has no Stripe customer at this merchant yet.' },
  trial_not_found: { status: 404, when: 'The account has had no platform trial of the application.', message: 'The account has no trial of this application.' },
  checkout_session_not_found: { status: 404, when: 'Stripe has no such Checkout Session, or it was made for another account or application.', message: 'No checkout session cs_test_a1B2c3D4e5F6g7H8 of this account.' },
  subscription_not_found: { status: 404, when: 'The account has no such subscription to the application (another account\'s is not found either).', message: 'No subscription sub_1QyT0wLkdIwHu7ixa1b2c3d4 of this account.' },
  api_key_not_found: { status: 404, when: 'The application has no API key with this id.', message: 'No API key "2f1c7d4e-8a0b-4c39-9d0e-5b7f3f1e2a61" for application "inbox-manager".' },
  webhook_event_not_found: { status: 404, when: 'No stored webhook event has this id.', message: 'No webhook event "evt_1QyT1aLkdIwHu7ixInvPaid1".' },
  reconcile_run_not_found: { status: 404, when: 'No reconcile run has this id.', message: 'No reconcile run "6f1c7d4e-8a0b-4c39-9d0e-5b7f3f1e2a61".' },
  stripe_resource_missing: { status: 404, when: 'Stripe no longer has an object the service holds (deleted in Stripe, its webhook not yet applied).', message: "No such customer: 'cus_QyT0vKp2mLq8Rz'", details: { param: 'customer' } },

  // ---- 405, 408, 413, 415, 431: transport ----
  method_not_allowed: { status: 405, when: 'A 405 raised by the framework (not expected on documented routes).', message: 'Method Not Allowed' },
  request_timeout: { status: 408, when: 'The request headers or body did not arrive within HTTP_HEADERS_TIMEOUT_MS / HTTP_REQUEST_TIMEOUT_MS; the connection is closed.', message: 'The request did not arrive in time; the connection is closed.' },
  payload_too_large: { status: 413, when: 'The body is larger than BODY_LIMIT (1 MB by default); the connection is closed.', message: 'Request body is too large' },
  unsupported_media_type: { status: 415, when: 'A body that is not UTF-8 JSON (`application/json` or `application/*+json`).', message: 'Send the body as application/json.' },
  headers_too_large: { status: 431, when: 'The request headers are larger than 16 KB; the connection is closed.', message: 'The request headers are too large.' },

  // ---- 409: the state does not allow it ----
  already_subscribed: { status: 409, when: 'The account already has a live subscription to the product and the application allows one per product.', message: 'The account already has a subscription (sub_1QyT0wLkdIwHu7ixa1b2c3d4) to this product.' },
  checkout_not_complete: { status: 409, when: 'The Checkout Session is still open or expired: there is no subscription to mirror yet.', message: 'The checkout session is open; there is no subscription yet.' },
  subscription_ended: { status: 409, when: 'The subscription has ended (canceled or incomplete_expired) and can no longer change.', message: 'The subscription has ended (canceled).' },
  no_licensed_item: { status: 409, when: 'The subscription has only metered items: no plan or quantity to change.', message: 'The subscription has no licensed item whose plan or quantity could change.' },
  not_scheduled_to_cancel: { status: 409, when: 'Resume of a subscription that is neither set to cancel at the period end nor paused.', message: 'The subscription is not set to cancel at the period end.' },
  trial_already_used: { status: 409, when: 'The account has already had its trial of the application (one per account and application).', message: 'The account has already had its trial of this application.' },
  idempotency_conflict: { status: 409, when: 'The Idempotency-Key was already used for a request with other parameters.', message: 'The same request was already made with other parameters.' },
  application_exists: { status: 409, when: 'An application with this id exists.', message: 'An application "inbox-manager" already exists.' },
  merchant_exists: { status: 409, when: 'A merchant with this id or connected account exists.', message: 'A merchant with this id or connected account already exists.' },
  stripe_account_inaccessible: {
    status: 409,
    when: "Stripe refuses the connected account a merchant names (stripe_account_id): no such account, or it revoked the platform's access (an operator must correct the merchant).",
    message: "Stripe refuses the merchant's connected account: it does not exist or no longer grants this platform access; an operator has to correct the merchant.",
  },
  reconcile_running: { status: 409, when: 'A reconcile of the same Stripe account is under way (on any instance).', message: 'A reconcile of platform is already running.' },
  conflict: { status: 409, when: 'A 409 raised by the framework rather than by the service (not expected on documented routes).', message: 'Conflict' },

  // ---- 422: Stripe refused ----
  stripe_invalid_request: {
    status: 422,
    when: "Stripe refused the request (a parameter or state Stripe does not accept); `details` carries Stripe's code and parameter when it gives them.",
    message: 'The price specified is inactive. This field only accepts active prices.',
    details: { param: 'line_items[0][price]' },
  },
  stripe_card_error: {
    status: 422,
    when: 'Stripe declined a payment it attempted while answering the call.',
    message: 'Your card was declined.',
    details: { stripe_code: 'card_declined', decline_code: 'insufficient_funds' },
  },
  unprocessable: { status: 422, when: 'A 422 raised by the framework rather than by the service (not expected on documented routes).', message: 'Unprocessable Entity' },

  // ---- 429, 500, 502, 503: try again (every 429, 502 and 503 carries Retry-After) ----
  rate_limited: {
    status: 429,
    when: 'More requests than the limit of the caller (account, API key, application or client IP) in the current window; Retry-After says when it ends, X-RateLimit-Limit/-Remaining/-Reset come with every limited answer.',
    message: 'More than 600 requests in 60 s; try again after Retry-After seconds.',
  },
  too_many_failed_attempts: { status: 429, when: 'Too many wrong admin tokens or API keys from this address (AUTH_FAILURE_LIMIT); every admin and partner request from it is refused until Retry-After, a correct credential included.', message: 'Too many failed attempts from this address; try again after Retry-After seconds.' },
  internal_error: { status: 500, when: 'A fault of the service; the request id is in its logs.', message: 'Something went wrong on our side; the request id is in our logs.' },
  stripe_unavailable: { status: 502, when: 'Stripe could not be reached or failed (a network error, a Stripe 5xx).', message: 'Stripe could not be reached or failed; try again.' },
  stripe_misconfigured: { status: 502, when: "The service's Stripe key is refused or lacks a permission (an operator must fix the configuration).", message: 'The service cannot use its Stripe account; an operator has to fix its configuration.' },
  stripe_error: { status: 502, when: 'Stripe answered with an error the service does not expect.', message: 'Stripe answered with an unexpected error.' },
  stripe_timeout: {
    status: 503,
    when: 'Stripe did not answer within STRIPE_REQUEST_DEADLINE_MS: retry (a mutation with the same Idempotency-Key changes Stripe once).',
    message: 'Stripe did not answer within 15000 ms; try again (a mutation with the same Idempotency-Key).',
  },
  stripe_rate_limited: { status: 503, when: "Stripe is rate-limiting the service; Retry-After carries Stripe's own figure.", message: 'Stripe is limiting our requests; try again shortly.' },
  database_unavailable: { status: 503, when: 'The database could not be reached (a lost or refused connection: a restart, a failover).', message: 'The database could not be reached; try again shortly.' },
  service_unavailable: { status: 503, when: 'GET /health failed: the database is unreachable (where the other routes answer database_unavailable); details.checks says what each check found.', message: 'The database could not be reached.' },
  not_ready: {
    status: 503,
    when: 'The readiness probe (/health/ready) failed: the database is unreachable, a migration is pending, or the enabled webhook worker is not running; `details.checks` says which.',
    message: 'Not ready: migrations.',
    details: { checks: { database: { status: 'up' }, migrations: { status: 'down', pending: ['Migration20260101000000'] }, webhook_worker: { status: 'up' } } },
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

type StatusesOf<C extends ErrorCode> = (typeof ERROR_CODES)[C] extends { status: infer S; alsoAt: readonly (infer A)[] } ? S | A : (typeof ERROR_CODES)[C]['status'];
/** The codes a response of status `S` may carry: what the documentation helper accepts for it. */
export type ErrorCodeAt<S extends number> = { [C in ErrorCode]: S extends StatusesOf<C> ? C : never }[ErrorCode];

/** Whether `code` is registered and may be answered with `status`. */
export function isErrorCodeAt(code: string, status: number): boolean {
  const info: ErrorCodeInfo | undefined = (ERROR_CODES as Record<string, ErrorCodeInfo>)[code];
  return info !== undefined && (info.status === status || (info.alsoAt ?? []).includes(status));
}
