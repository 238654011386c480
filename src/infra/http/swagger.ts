import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { DEFAULT_RETRY_AFTER_SECONDS, RETRYABLE_STATUSES } from '../errors/error-body.js';

/** Names of the security schemes, used by the controllers' @ApiBearerAuth / @ApiSecurity. */
export const AUTH_SCHEMES = { account: 'account-jwt', partner: 'partner-api-key', admin: 'admin-token' } as const;

export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json', customSiteTitle: 'Billing service API' });
}

/** The OpenAPI document of the application's routes: served at /docs-json and committed as openapi/openapi.json (npm run openapi). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Billing service')
      .setDescription(
        'Subscriptions sold through Stripe: checkout, portal, change and cancel for accounts; Stripe webhooks; ' +
          'features and contract lookups answered from a mirror of Stripe. Errors are `{ "error": { "code", "message" } }`.',
      )
      .setVersion('0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Account token: `acc` claim = account id, `role` claim, optional `app` claim' }, AUTH_SCHEMES.account)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Partner application API key (issued by the admin API)' }, AUTH_SCHEMES.partner)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Admin token (ADMIN_TOKEN)' }, AUTH_SCHEMES.admin)
      .build(),
    { operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}.${methodKey}` },
  );
  documentRetryableResponses(document);
  return document;
}

/** The Retry-After header of every 429, 502 and 503 answer (error-body.ts sets it), as the document describes it. */
export const RETRY_AFTER_HEADER = {
  description: `Seconds to wait before trying again (Stripe's own figure when Stripe rate-limited us, else ${DEFAULT_RETRY_AFTER_SECONDS})`,
  schema: { type: 'integer', minimum: 1, example: DEFAULT_RETRY_AFTER_SECONDS },
} as const;

const DATABASE_UNAVAILABLE = 'database_unavailable: the database could not be reached (a lost or refused connection)';
const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', example: 'database_unavailable' }, message: { type: 'string' }, request_id: { type: 'string' } } } },
};

interface DocumentedResponse {
  description?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, unknown>;
}

/**
 * Every operation can answer 503 database_unavailable (the error filter maps a lost database
 * connection to it), and every 429, 502 and 503 carries Retry-After. Both are added here, to the
 * responses wherever a controller declared them, so that they are documented in one place as they
 * are sent from one place.
 */
export function documentRetryableResponses(document: OpenAPIObject): void {
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations) as { responses?: Record<string, DocumentedResponse> }[]) {
      const responses = operation?.responses;
      if (!responses) continue;
      const unavailable = responses['503'];
      if (!unavailable) responses['503'] = { description: DATABASE_UNAVAILABLE, content: { 'application/json': { schema: ERROR_SCHEMA } } };
      else if (!('$ref' in unavailable)) unavailable.description = `${unavailable.description ?? 'Unavailable'}; or ${DATABASE_UNAVAILABLE}`;
      for (const [status, response] of Object.entries(responses)) {
        if (RETRYABLE_STATUSES.has(Number(status)) && !('$ref' in response)) response.headers = { ...response.headers, 'Retry-After': RETRY_AFTER_HEADER };
      }
    }
  }
}
