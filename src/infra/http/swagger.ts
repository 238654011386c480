import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Names of the security schemes, used by the controllers' @ApiBearerAuth / @ApiSecurity. */
export const AUTH_SCHEMES = { account: 'account-jwt', partner: 'partner-api-key', admin: 'admin-token' } as const;

export function setupSwagger(app: INestApplication): void {
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
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', customSiteTitle: 'Billing service API' });
}
