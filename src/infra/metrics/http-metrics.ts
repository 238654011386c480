import type { FastifyInstance } from 'fastify';
import { UNMATCHED_ROUTE, type Metrics } from './metrics.service.js';

/**
 * Counts and times every answered request by its route's template (`/api/accounts/:account_id/…`),
 * never the raw URL, so that ids in paths cannot grow the number of series without bound. Requests
 * no route matched (404s, malformed paths) share one label.
 */
export function recordHttpMetrics(fastify: FastifyInstance, metrics: Metrics): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequest(request.method, request.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
