import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/config.js';
import { sendError } from '../errors/error-body.js';
import { requestIdOf } from '../logging/logging.module.js';
import { hasRouteFlag } from '../route-config.js';
import { StripeBudget, withStripeBudget } from '../stripe/stripe.gateway.js';

/**
 * The HTTP server under Nest: Fastify rather than Express, because the partner lookup and
 * `features` answer thousands of calls a second and Express walks every registered route for each
 * request (Fastify finds it in a radix tree). Its settings keep the API's behaviour: a trailing
 * slash is ignored, ids in paths may be long, bodies are limited to BODY_LIMIT.
 *
 * Time limits, so that slow or silent clients cannot hold connections for ever: the headers
 * (HTTP_HEADERS_TIMEOUT_MS) and the whole request with its body (HTTP_REQUEST_TIMEOUT_MS) must
 * arrive in time, else 408 and the connection is closed; a connection quiet both ways for
 * HTTP_IDLE_TIMEOUT_MS is closed.
 *
 * Behind a proxy, TRUST_PROXY says which hops may name the client in X-Forwarded-For: `request.ip`
 * (what the per-IP limits and the failed-attempt lock-out count) is then the client's address.
 */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    // Node checks the header and request limits of open connections every
    // connectionsCheckingInterval (30 s by default, which would let a limit of a few seconds run
    // for 30): a tenth of the shorter limit, between 50 ms and 1 s.
    http: {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(Math.min(config.HTTP_HEADERS_TIMEOUT_MS, config.HTTP_REQUEST_TIMEOUT_MS) / 10))),
    },
    // Fastify sets these on the server again after creating it.
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    connectionTimeout: config.HTTP_IDLE_TIMEOUT_MS,
    clientErrorHandler: answerClientError,
    bodyLimit: config.BODY_LIMIT,
    // A hop count as proxy-addr's function form: the adapter's type does not take the number itself.
    trustProxy: typeof config.TRUST_PROXY === 'number' ? trustHops(config.TRUST_PROXY) : config.TRUST_PROXY,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    // Request logs come from pino-http (see logging.module.ts), which logs the id Fastify gives.
    logger: false,
    genReqId: requestIdOf,
    // Errors Fastify raises before a route is found answer in the service's error format too; a path
    // whose percent-encoding is not UTF-8 (`%ED%A0%80`, an unpaired surrogate) is one.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      void reply.header('x-request-id', request.id);
      if (error.code === 'FST_ERR_BAD_URL') {
        return sendError(reply, 400, 'invalid_characters', 'The path holds percent-encoded bytes that are not UTF-8 text.', { field: 'path', in: 'path' });
      }
      sendError(reply, error.statusCode ?? 400, 'bad_request', error.message);
    },
  });
}

/** Trusts the `hops` proxies nearest to the service (hop 0 is the TCP peer). */
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

/** Route config key set by WITHOUT_STRIPE_CALLS. */
const NO_STRIPE_CALLS = 'withoutStripeCalls';

/**
 * Route config of a route that never calls Stripe (it answers from the mirror, or stores an event):
 * it gets no Stripe budget, which is work on every request of the hottest routes for nothing. Were
 * such a route to call Stripe after all, each call would get a deadline of its own, as outside a request.
 */
export const WITHOUT_STRIPE_CALLS = { [NO_STRIPE_CALLS]: true } as const;

/**
 * Each API request gets one Stripe deadline (STRIPE_REQUEST_DEADLINE_MS) for all its Stripe calls
 * and their retries, so that a caller hears back in bounded time however slow Stripe is: `next`
 * runs with the request's budget. Admin routes are left out: a catalog sync or an awaited reconcile
 * pages through whole Stripe accounts and gets the deadline per call instead.
 */
export function stripeBudgets(): (request: FastifyRequest, reply: FastifyReply, next: () => void) => void {
  return (request, reply, next) => {
    if (request.url.startsWith('/admin') || hasRouteFlag(request, NO_STRIPE_CALLS)) return next();
    const budget = new StripeBudget();
    // Once answered, whatever the request left running is no longer held to its deadline.
    reply.raw.once('close', () => (budget.open = false));
    withStripeBudget(budget, next);
  };
}

/**
 * Errors node raises about a connection before there is a request to answer (a header or request
 * time limit passed, headers too large, a request that is not HTTP): answered in the service's
 * error format, then the connection is closed (what node and Fastify do, with their own body).
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection is gone already; there is nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout', 'The request did not arrive in time; the connection is closed.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'The request headers are too large.']
        : [400, 'bad_request', 'The request is not valid HTTP.'];
  if (socket.writable) {
    const body = JSON.stringify({ error: { code, message } });
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
