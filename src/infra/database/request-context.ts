import { RequestContext, type MikroORM } from '@mikro-orm/core';
import type { FastifyRequest } from 'fastify';
import { hasRouteFlag } from '../route-config.js';

/** Fastify route config key set by WITHOUT_REQUEST_CONTEXT. */
const NO_REQUEST_CONTEXT = 'withoutRequestContext';

/**
 * Route config of a route that reads through prepared statements only (never the identity map,
 * never the request's EntityManager, forking one where it needs one): no EntityManager fork per
 * request (the hot routes take it with FROM_DATABASE_ONLY, infra/http/request-hooks.ts). The fork
 * (an identity map, a unit of work, their clones of the configuration) was 5 % of the CPU of the
 * partner lookup and `features` in a profile. A route so marked that used the request's
 * EntityManager anyway would fail loudly (MikroORM refuses the global context), not silently.
 */
export const WITHOUT_REQUEST_CONTEXT = { [NO_REQUEST_CONTEXT]: true } as const;

/**
 * Every other request gets its own EntityManager (MikroORM's RequestContext: its own identity map),
 * as @mikro-orm/nestjs's middleware would give it, but from the request hook (infra/http/request-hooks.ts),
 * which knows the route: `next` runs in the request's context.
 */
export function requestContexts(orm: MikroORM): (request: FastifyRequest, next: () => void) => void {
  return (request, next) => {
    if (hasRouteFlag(request, NO_REQUEST_CONTEXT)) return next();
    RequestContext.create(orm.em, next);
  };
}
