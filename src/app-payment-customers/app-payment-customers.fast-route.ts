import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { PartnerKeyGuard } from '../auth/partner-key.guard.js';
import { fastRoute, type FastRoute } from '../auth/fast-route.js';
import { AppPaymentCustomersController, queryLists } from './app-payment-customers.controller.js';

/**
 * The partner lookup (GET .../app-payment-customers) served outside Nest's per-request pipeline
 * (issue 17; why and how in auth/fast-route.ts): the controller stays its declaration and docs.
 */
export function appPaymentCustomersFastRoutes(app: NestFastifyApplication): FastRoute[] {
  const guard = app.get(PartnerKeyGuard);
  return [
    fastRoute<AppPaymentCustomersController>({
      controller: AppPaymentCustomersController,
      method: 'lookup',
      guard: PartnerKeyGuard,
      authenticate: (request) => guard.authenticate(request as FastifyRequest & { params: Record<string, string> }),
      handle: (controller, request) => controller.lookup((request.params as Record<string, string>).application_id!, queryLists(request)),
    }),
  ];
}
