import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { DEFAULT_RETRY_AFTER_SECONDS, RETRYABLE_STATUSES } from '../errors/error-body.js';
import { ERROR_CODES, type ErrorCode } from '../errors/error-codes.js';
import { describeErrors, ERROR_SCHEMA_REF, errorExample, errorExampleRef, ErrorResponse, mergeErrorSpecs } from './errors.api-docs.js';

/** Names of the security schemes, used by the controllers' @ApiBearerAuth / @ApiSecurity. */
export const AUTH_SCHEMES = { account: 'account-jwt', partner: 'partner-api-key', admin: 'admin-token' } as const;

export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json', customSiteTitle: 'Billing service API' });
}

const DESCRIPTION = [
  'Subscriptions sold through Stripe: checkout, portal, change and cancel for accounts; Stripe webhooks; features and contract lookups answered from a mirror of Stripe.',
  '',
  '**Buying, step by step** (the account-less routes; the account-scoped ones under `/api/accounts/{account_id}/subscriptions` are the same):',
  '1. `subscriptions.createCheckoutSession` with a price of the catalog, then redirect the browser to the answered `url`;',
  '2. the customer pays on Stripe\'s page and comes back to `success_url`;',
  '3. `subscriptions.syncCheckoutSession` with the session id shows the subscription at once (the webhook follows);',
  '4. `subscriptions.features` gates the features, on every page load (no Stripe call).',
  '',
  'Then `subscriptions.change` (`{"interval": "year"}` for the yearly plan), `subscriptions.cancel` (`{"timing": "period_end"}`), `subscriptions.resume`, or the Customer Portal (`subscriptions.createPortalSession`). ' +
    'Partners look a company\'s contract up with `appPaymentCustomers.lookup?company_id=`. Operation ids are the typed client\'s method names.',
  '',
  '**Errors** are `{ "error": { "code", "message", "request_id" } }` with a stable `code`: each response lists the codes it can carry, with an example of each. ' +
    'Every route may also answer 408 `request_timeout` or 431 `headers_too_large` (the connection is then closed), 404 `not_found` for a path no route has, and 500 `internal_error`. ' +
    'Every 429, 502 and 503 carries `Retry-After`; retry a mutation with the same `Idempotency-Key`.',
].join('\n');

/** The OpenAPI document of the application's routes: served at /docs-json and committed as openapi/openapi.json (npm run openapi). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Billing service')
      .setDescription(DESCRIPTION)
      .setVersion('0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Account token: `acc` claim = account id, `role` claim, optional `app` claim' }, AUTH_SCHEMES.account)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Partner application API key (issued by the admin API)' }, AUTH_SCHEMES.partner)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Admin token (ADMIN_TOKEN)' }, AUTH_SCHEMES.admin)
      .build(),
    // ErrorResponse named here too: the errors documentCommonErrors adds refer to it.
    { extraModels: [ErrorResponse], operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}.${methodKey}` },
  );
  documentCommonErrors(document);
  return document;
}

/** The Retry-After header of every 429, 502 and 503 answer (error-body.ts sets it), as the document describes it. */
export const RETRY_AFTER_HEADER = {
  description: `Seconds to wait before trying again (until the request limit's window ends, Stripe's own figure when Stripe rate-limited us, else ${DEFAULT_RETRY_AFTER_SECONDS})`,
  schema: { type: 'integer', minimum: 1, example: DEFAULT_RETRY_AFTER_SECONDS },
} as const;

interface DocumentedResponse {
  description?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema?: unknown; example?: unknown; examples?: Record<string, unknown> }>;
}
type Operation = { operationId?: string; requestBody?: unknown; responses?: Record<string, DocumentedResponse> };

/** Methods whose requests may carry a body, which is parsed (and may be refused) before the route's own checks. */
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);
/**
 * The health check answers its own 503 (`service_unavailable`) when the database is down: its
 * probe catches the connection error, so it never answers database_unavailable.
 */
const WITHOUT_DATABASE_ERRORS = new Set(['health.check']);

/**
 * The errors every route can answer, whatever its own rules, because they are raised before the
 * route runs or around it (body-parsing.ts, the exception filter): characters PostgreSQL cannot
 * store in a path, query or body (400); a body that is not JSON, too deep (400), too large (413)
 * or of another type (415); a lost database connection (503). They are added here, to each
 * operation, as they are sent from one place; then every error response gets its description
 * (its codes, each with when it is answered) and every 429, 502 and 503 its Retry-After header,
 * and the examples the responses refer to are added to components.examples.
 */
export function documentCommonErrors(document: OpenAPIObject): void {
  const referenced = new Set<ErrorCode>();
  for (const operations of Object.values(document.paths)) {
    for (const [method, operation] of Object.entries(operations) as [string, Operation][]) {
      if (!operation?.responses) continue;
      const common = mergeErrorSpecs([
        { 400: ['invalid_characters'] },
        ...(BODY_METHODS.has(method) ? [{ 400: ['malformed_json', 'body_too_deep'], 413: ['payload_too_large'], 415: ['unsupported_media_type'] } as const] : []),
        ...(WITHOUT_DATABASE_ERRORS.has(operation.operationId ?? '') ? [] : [{ 503: ['database_unavailable'] } as const]),
      ]);
      for (const [status, codes] of common) addErrorCodes(operation.responses, status, codes);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        const examples = response.content?.['application/json']?.examples ?? {};
        const codes = Object.keys(examples);
        for (const code of codes) if (code in ERROR_CODES) referenced.add(code as ErrorCode);
        if (codes.length > 0) response.description = describeErrors(Number(status), codes);
        if (RETRYABLE_STATUSES.has(Number(status))) response.headers = { ...response.headers, 'Retry-After': RETRY_AFTER_HEADER };
      }
    }
  }
  document.components = { ...document.components, examples: Object.fromEntries([...referenced].sort().map((code) => [code, errorExample(code)])) };
}

/** Adds `codes` to the error response of `status`, made when the operation declared none. */
function addErrorCodes(responses: Record<string, DocumentedResponse>, status: number, codes: readonly string[]): void {
  const response = (responses[String(status)] ??= { content: { 'application/json': { schema: { $ref: ERROR_SCHEMA_REF } } } });
  const media = (response.content ??= {})['application/json'] ??= { schema: { $ref: ERROR_SCHEMA_REF } };
  const examples = (media.examples ??= {});
  for (const code of codes) examples[code] ??= errorExampleRef(code);
}
