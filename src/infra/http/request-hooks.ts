import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WITHOUT_REQUEST_CONTEXT } from '../database/request-context.js';
import { WITHOUT_STRIPE_CALLS } from './http-adapter.js';

/** A part of what every request gets before its route runs, which runs the rest (`next`) within what it sets up. */
type AroundRequest = (request: FastifyRequest, reply: FastifyReply, next: () => void) => void;

export interface RequestHooks {
  /** The security headers of the request's path (security-headers.ts). */
  securityHeaders(request: FastifyRequest, reply: FastifyReply): void;
  /** The request's log line, and `req` on every line logged meanwhile (logging.module.ts); none when nothing is logged. */
  requestLog?: AroundRequest;
  /** One Stripe deadline for the request's Stripe calls (http-adapter.ts). */
  stripeBudget: AroundRequest;
  /** The request's own EntityManager (database/request-context.ts). */
  requestContext(request: FastifyRequest, next: () => void): void;
}

/**
 * What every request gets before its route runs, from one onRequest hook: its id on the answer
 * (X-Request-Id, so that a caller can quote it), the security headers, the request log, the Stripe
 * budget and the request's EntityManager, in that order, each of the last three running the rest
 * within the context it sets up.
 *
 * One hook rather than one each: Fastify runs every hook of every request through its hook runner,
 * and the partner lookup and `features` answer thousands of requests a second (issue 17). The parts
 * stay with their modules; this only puts them in one call.
 */
export function registerRequestHooks(fastify: FastifyInstance, hooks: RequestHooks): void {
  const { securityHeaders, requestLog, stripeBudget, requestContext } = hooks;
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    securityHeaders(request, reply);
    const withContext = () => requestContext(request, done);
    const withBudget = () => stripeBudget(request, reply, withContext);
    if (requestLog) requestLog(request, reply, withBudget);
    else withBudget();
  });
}

/**
 * Route config of the hot routes that work through prepared statements alone and never call Stripe
 * (the partner lookup, `features`, the webhook intake): no EntityManager and no Stripe budget per request.
 */
export const FROM_DATABASE_ONLY = { ...WITHOUT_REQUEST_CONTEXT, ...WITHOUT_STRIPE_CALLS } as const;

/** FROM_DATABASE_ONLY as a decorator, for a route with no other config (a second @RouteConfig would replace the first). */
export const FromDatabaseOnly = () => RouteConfig(FROM_DATABASE_ONLY);
