import type { FastifyRequest } from 'fastify';

/** Whether the request's route sets `key` to true in its route config (@RouteConfig, read per request by the hooks). */
export function hasRouteFlag(request: FastifyRequest, key: string): boolean {
  return (request.routeOptions.config as unknown as Record<string, unknown> | undefined)?.[key] === true;
}
