import type { FastifyReply } from 'fastify';
import { japaneseMessage, prefersJapanese } from './messages.ja.js';

export interface ErrorBody {
  error: { code: string; message: string; request_id?: string; details?: Record<string, unknown> };
}

/** Statuses that say "try again later": every one of them carries Retry-After. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503]);
/** Seconds a client waits before retrying when the cause gives no better figure: short, the failures are transient. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * Writes the service's error format (the exception filter's only way out), its message in Japanese
 * for a request whose Accept-Language puts Japanese first. A 429, 502 or 503
 * gets `Retry-After` here, the one place that sets it: the cause's own figure when it has one
 * (Stripe's Retry-After), one already set on the reply (a rate limiter's), else the default.
 */
export function sendError(reply: FastifyReply, status: number, code: string, message: string, details?: Record<string, unknown>, retryAfterSeconds?: number): void {
  const requestId = reply.getHeader('x-request-id');
  // The message in Japanese when the request asks for it (codes and details stay as they are).
  const japanese = prefersJapanese(reply.request?.headers['accept-language']) ? japaneseMessage(code, details) : undefined;
  if (japanese) {
    message = japanese;
    reply.header('content-language', 'ja');
  }
  const body: ErrorBody = { error: { code, message, ...(details ? { details } : {}), ...(typeof requestId === 'string' ? { request_id: requestId } : {}) } };
  // A body refused for its size may still be on its way: the connection is not reused for the next request.
  if (status === 413) reply.header('connection', 'close');
  if (RETRYABLE_STATUSES.has(status)) {
    if (retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterSeconds))));
    else if (reply.getHeader('retry-after') === undefined) reply.header('retry-after', String(DEFAULT_RETRY_AFTER_SECONDS));
  }
  void reply.status(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

/** Stable codes of HTTP errors raised by the framework rather than by our code. */
export const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
  502: 'stripe_unavailable',
  503: 'service_unavailable',
};
