import type { INestApplication } from '@nestjs/common';
import { StripeGateway } from './infra/stripe/stripe.gateway.js';
import { ApplicationsService } from './tenancy/applications.service.js';

/**
 * Points a Stripe account's webhooks at an application of this service: creates the webhook
 * endpoint through the Stripe API and stores the signing secret Stripe returns as the
 * application's only secret. Local mode does this for the default application against the bundled
 * emulator so that checkout → webhook → features works with no set-up; the same call works against
 * a Stripe test account.
 */
export async function connectWebhookEndpoint(app: INestApplication, baseUrl: string, applicationId: string): Promise<string> {
  const gateway = app.get(StripeGateway);
  const url = `${baseUrl}/api/applications/${applicationId}/subscriptions/stripe/webhook`;
  const endpoint = await gateway.call('webhookEndpoints.create', (s) =>
    s.webhookEndpoints.create({ url, enabled_events: ['*'], connect: true, description: `billing-service ${applicationId}` }),
  );
  await app.get(ApplicationsService).rotateWebhookSecret(applicationId, { secret: endpoint.secret!, overlapHours: 0 });
  return endpoint.id;
}
