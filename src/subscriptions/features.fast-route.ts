import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AccountGuard } from '../auth/account.guard.js';
import type { AuthenticatedRequest } from '../auth/request.js';
import { OWNER_ONLY } from '../infra/auth/owner-only.js';
import { fastRoute, type FastRoute } from '../auth/fast-route.js';
import { AccountScopedSubscriptionsController } from './account-scoped-subscriptions.controller.js';
import { SubscriptionsController } from './subscriptions.controller.js';

/**
 * The account's `features` (GET /api/subscriptions/features and its account-scoped twin) served
 * outside Nest's per-request pipeline (issue 17; why and how in auth/fast-route.ts): the
 * controllers stay their declaration and docs.
 */
export function featuresFastRoutes(app: NestFastifyApplication): FastRoute[] {
  const guard = app.get(AccountGuard);
  const route = <C extends SubscriptionsController | AccountScopedSubscriptionsController>(controller: Type<C>) => {
    // What the guard's Reflector reads for @OwnerOnly(): the handler's, else the controller's.
    const ownerOnly = (Reflect.getMetadata(OWNER_ONLY, controller.prototype.featureList) ?? Reflect.getMetadata(OWNER_ONLY, controller)) as boolean | undefined;
    return fastRoute<C>({
      controller,
      method: 'featureList',
      guard: AccountGuard,
      authenticate: (request, reply) => guard.authenticate(request as unknown as AuthenticatedRequest, reply, ownerOnly),
      handle: (instance, request) => instance.featureList((request as unknown as AuthenticatedRequest).accountContext!),
    });
  };
  return [route(SubscriptionsController), route(AccountScopedSubscriptionsController)];
}
