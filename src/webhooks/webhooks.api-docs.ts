import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ApiErrors } from '../infra/http/errors.api-docs.js';
import { FLOW } from '../infra/http/seed-flow.api-docs.js';
import { WebhookReceivedResponse } from './webhook-events.dto.js';

/** The OpenAPI description of the Stripe webhook endpoint (docs/webhooks.md: ordering, retries, replay). */
export const WebhooksDocs = {
  receive: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'webhooks.receive',
        summary: 'Stripe webhook endpoint of one application',
        description:
          'Point the Stripe webhook endpoint of the application (and, for Connect, its Connect endpoint) here; Stripe calls it, not clients. The Stripe-Signature header is checked against the ' +
          "application's current signing secrets (a rotated one stays valid for its overlap); the event is stored once per Stripe id before the 200 and applied asynchronously by workers, " +
          'exactly once, in any order (older state never wins). A 4xx tells Stripe not to retry a request that cannot succeed; a 503 makes it retry later.',
      }),
      ApiParam({ name: 'application_id', description: 'The application whose endpoint this is', example: FLOW.applicationId }),
      ApiHeader({ name: 'Stripe-Signature', required: true, description: 't=<unix seconds>,v1=<HMAC-SHA256 of "t.body" with the signing secret>', example: 't=1795137826,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd' }),
      ApiBody({
        description: 'A Stripe event, as Stripe sends it (the exact bytes are what is signed)',
        schema: {
          type: 'object',
          required: ['id', 'object', 'type', 'created', 'data'],
          // Stripe's event has more fields (request, pending_webhooks...): they are stored as sent.
          additionalProperties: true,
          properties: {
            id: { type: 'string' },
            object: { type: 'string', enum: ['event'] },
            type: { type: 'string' },
            created: { type: 'integer', description: 'Unix seconds' },
            account: { type: 'string', description: 'The connected account of a Connect event' },
            livemode: { type: 'boolean' },
            api_version: { type: 'string', nullable: true },
            data: { type: 'object', required: ['object'], properties: { object: { type: 'object', additionalProperties: true } }, additionalProperties: true },
          },
        },
        examples: {
          checkoutCompleted: {
            summary: 'checkout.session.completed: links the customer and creates the subscription',
            value: {
              id: 'evt_1QyT0zLkdIwHu7ixCheckout1',
              object: 'event',
              type: 'checkout.session.completed',
              created: 1795137825,
              livemode: false,
              api_version: '2026-10-28.endive',
              data: { object: { id: FLOW.checkoutSessionId, object: 'checkout.session', mode: 'subscription', status: 'complete', client_reference_id: FLOW.accountId, customer: FLOW.customerId, subscription: FLOW.subscriptionId, metadata: { account_id: FLOW.accountId, application_id: FLOW.applicationId } } },
            },
          },
          invoicePaid: {
            summary: 'invoice.paid: the first ¥3,300 (¥3,000 + 10% tax) invoice is paid',
            value: {
              id: FLOW.eventId,
              object: 'event',
              type: 'invoice.paid',
              created: 1795137826,
              livemode: false,
              api_version: '2026-10-28.endive',
              data: { object: { id: FLOW.firstInvoiceId, object: 'invoice', customer: FLOW.customerId, currency: 'jpy', amount_paid: 3300, status: 'paid' } },
            },
          },
        },
      }),
      ApiOkResponse({
        type: WebhookReceivedResponse,
        description: 'Stored (or already stored): Stripe stops retrying',
        examples: { stored: { summary: 'A new event, stored', value: { received: true, duplicate: false } }, duplicate: { summary: 'Stripe sent it again: already stored', value: { received: true, duplicate: true } } },
      }),
      ApiErrors({ 400: ['missing_signature', 'malformed_signature', 'invalid_signature', 'stale_signature', 'invalid_payload', 'invalid_event'], 404: ['application_not_found'], 429: ['rate_limited'] }),
    ),
};
