import type { FastifyRequest } from 'fastify';
import { fastRoute, type FastRoute } from '../auth/fast-route.js';
import type { RequestWithRawBody } from '../infra/http/body-parsing.js';
import { WebhooksController } from './webhooks.controller.js';

/**
 * The webhook intake (POST .../subscriptions/stripe/webhook) served outside Nest's per-request
 * pipeline (issue 17; why and how in auth/fast-route.ts): the controller stays its declaration, its
 * route config (the raw body kept by the JSON parser, no request context) and docs. It has no guard
 * (the signature is its check) and is not @Audited; its limit is the per-application webhook limit.
 */
export function webhooksFastRoutes(): FastRoute[] {
  return [
    fastRoute<WebhooksController>({
      controller: WebhooksController,
      method: 'receive',
      // What @Param('application_id') and @Headers('stripe-signature') give the handler.
      handle: (controller, request: FastifyRequest) =>
        controller.receive((request.params as Record<string, string>).application_id!, request as RequestWithRawBody, request.headers['stripe-signature'] as string | undefined),
    }),
  ];
}
