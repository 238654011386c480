import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../config/config.js';
import { requestIdOf } from '../logging/logging.module.js';

/**
 * The HTTP server under Nest: Fastify rather than Express, because the partner lookup and
 * `features` answer thousands of calls a second and Express walks every registered route for each
 * request (Fastify finds it in a radix tree). Its settings keep the API's behaviour: a trailing
 * slash is ignored, ids in paths may be long, bodies are limited to BODY_LIMIT.
 */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: config.BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    // Request logs come from pino-http (see logging.module.ts), which logs the id Fastify gives.
    logger: false,
    genReqId: requestIdOf,
  });
}

/** Every answer carries its request id, so that a caller can quote it. */
export function exposeRequestIds(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
}
