import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
    // Errors Fastify raises before a route is found answer in the service's error format too; a path
    // whose percent-encoding is not UTF-8 (`%ED%A0%80`, an unpaired surrogate) is one.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const badPath = error.code === 'FST_ERR_BAD_URL';
      const status = badPath ? 400 : (error.statusCode ?? 400);
      const code = badPath ? 'invalid_characters' : 'bad_request';
      const message = badPath ? 'The path holds percent-encoded bytes that are not UTF-8 text.' : error.message;
      void reply.status(status).send({ error: { code, message, ...(badPath ? { details: { field: 'path', in: 'path' } } : {}), request_id: request.id } });
    },
  });
}

/** Every answer carries its request id, so that a caller can quote it. */
export function exposeRequestIds(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
}
