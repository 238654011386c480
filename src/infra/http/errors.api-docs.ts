import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { ERROR_CODES, type ErrorCode, type ErrorCodeAt } from '../errors/error-codes.js';

/**
 * How the OpenAPI document describes errors: each operation names the codes it can answer, once,
 * by status (`ApiErrors({ 400: ['price_not_in_catalog'], 409: ['already_subscribed'] })`), and
 * gets one response per status whose `examples` hold one example per code, built from the
 * registry (error-codes.ts) so that code, status, message and meaning are written in one place.
 * Examples are referenced (`#/components/examples/<code>`); swagger.ts adds the examples the
 * document refers to, the errors every route shares (invalid characters, body parsing, database)
 * and each response's description, listing its codes.
 */

/** The error format of every route: `{ "error": { "code", "message" } }`. */
export class ErrorDetail {
  @ApiProperty({ example: 'validation_failed', description: "Stable machine-readable code: each response lists its codes, and the examples show each one" }) code!: string;
  @ApiProperty({ example: 'quantity must not be less than 1', description: 'For a person: may change, never parse it' }) message!: string;
  @ApiPropertyOptional({ example: '3a336a0c-8d14-4b99-bc25-5c46444c2817', description: 'The x-request-id of the answer, to quote to the operator' }) request_id?: string;
  @ApiPropertyOptional({ example: { fields: { quantity: ['quantity must not be less than 1'] } }, type: Object, description: 'Machine-readable particulars of some codes (validation_failed: fields and their problems)' })
  details?: Record<string, unknown>;
}

export class ErrorResponse {
  @ApiProperty({ type: ErrorDetail }) error!: ErrorDetail;
}

/** The request id shown in examples (answers carry a UUID in `x-request-id` and `error.request_id`). */
export const EXAMPLE_REQUEST_ID = '3a336a0c-8d14-4b99-bc25-5c46444c2817';

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 502 | 503;
/** The codes an operation can answer, by status; only codes registered at that status type-check. */
export type ErrorSpec = { readonly [S in ErrorStatus]?: readonly ErrorCodeAt<S>[] };

const TITLES: Record<number, string> = {
  400: 'The request is not valid',
  401: 'No or invalid credentials',
  403: 'Not allowed',
  404: 'Not found (or not yours)',
  409: 'The current state does not allow it',
  413: 'The body is too large',
  415: 'The body is not JSON',
  422: 'Stripe refused the request',
  429: 'Too many requests: retry after Retry-After seconds',
  502: 'Stripe failed',
  503: 'Unavailable for a moment: retry after Retry-After seconds',
};

export const ERROR_SCHEMA_REF = '#/components/schemas/ErrorResponse';
export const errorExampleRef = (code: string) => ({ $ref: `#/components/examples/${code}` });

/** The example of one code, as it goes into `components.examples`. */
export function errorExample(code: ErrorCode): { summary: string; value: { error: Record<string, unknown> } } {
  const info = ERROR_CODES[code];
  return {
    summary: info.when,
    value: { error: { code, message: info.message, ...('details' in info ? { details: info.details } : {}), request_id: EXAMPLE_REQUEST_ID } },
  };
}

/** A response's description: what the status means, then each code with when it is answered. */
export function describeErrors(status: number, codes: readonly string[]): string {
  const lines = codes.map((code) => `- \`${code}\`: ${ERROR_CODES[code as ErrorCode]?.when ?? ''}`);
  return [`${TITLES[status] ?? `HTTP ${status}`}. \`error.code\` is one of:`, '', ...lines].join('\n');
}

/** The specs merged: each status once, its codes in the order given, each code once. */
export function mergeErrorSpecs(specs: readonly ErrorSpec[]): Map<number, string[]> {
  const merged = new Map<number, string[]>();
  for (const spec of specs) {
    for (const [status, codes] of Object.entries(spec) as [string, readonly string[]][]) {
      const list = merged.get(Number(status)) ?? [];
      for (const code of codes) if (!list.includes(code)) list.push(code);
      merged.set(Number(status), list);
    }
  }
  return new Map([...merged].sort(([a], [b]) => a - b));
}

/**
 * The error responses of an operation, from one or more specs (a shared one for its credentials,
 * one for its own rules): one response per status, with one example per code.
 */
export function ApiErrors(...specs: ErrorSpec[]): MethodDecorator & ClassDecorator {
  const responses = [...mergeErrorSpecs(specs)].map(([status, codes]) =>
    ApiResponse({
      status,
      type: ErrorResponse,
      description: describeErrors(status, codes),
      // References, resolved by swagger.ts (which adds components.examples); typed as inline examples by @nestjs/swagger.
      examples: Object.fromEntries(codes.map((code) => [code, errorExampleRef(code) as unknown as { summary: string; value: unknown }])),
    }),
  );
  return applyDecorators(...responses);
}

// ---- the errors of each kind of credentials, shared by the operations that take them ----

/** Any route behind the account guard: the token, and the application it resolves. */
export const ACCOUNT_AUTH = {
  401: ['missing_token', 'invalid_token', 'token_expired', 'missing_account_claim', 'invalid_account_claim'],
  403: ['application_mismatch', 'origin_not_allowed'],
  404: ['application_not_found'],
  429: ['rate_limited'],
} as const satisfies ErrorSpec;
/** The account-scoped routes (`/api/accounts/{account_id}/...`) check the path's account too. */
export const ACCOUNT_IN_PATH = { 403: ['account_mismatch'] } as const satisfies ErrorSpec;
/** Routes that change billing: the owner role. */
export const OWNER_ONLY = { 403: ['owner_role_required'] } as const satisfies ErrorSpec;
/** Partner routes: an API key of the application in the path. */
export const PARTNER_AUTH = { 401: ['missing_api_key', 'invalid_api_key', 'api_key_revoked'], 403: ['api_key_wrong_application'], 429: ['rate_limited', 'too_many_failed_attempts'] } as const satisfies ErrorSpec;
/** Admin routes: the admin token. */
export const ADMIN_AUTH = { 401: ['missing_token', 'invalid_admin_token'], 429: ['too_many_failed_attempts'] } as const satisfies ErrorSpec;

/** A route that calls Stripe: the merchant's connected account refused (409), Stripe refusing (422), failing (502), too slow or rate-limiting us (503). */
export const STRIPE_CALLS = {
  409: ['stripe_account_inaccessible'],
  422: ['stripe_invalid_request'],
  502: ['stripe_unavailable', 'stripe_misconfigured', 'stripe_error'],
  503: ['stripe_timeout', 'stripe_rate_limited'],
} as const satisfies ErrorSpec;
/** A route that changes Stripe under an idempotency key: the same key with other parameters is a 409. */
export const STRIPE_MUTATION = { ...STRIPE_CALLS, 409: ['stripe_account_inaccessible', 'idempotency_conflict'] } as const satisfies ErrorSpec;
