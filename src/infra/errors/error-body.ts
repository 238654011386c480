import type { Response } from 'express';

export interface ErrorBody {
  error: { code: string; message: string; request_id?: string; details?: Record<string, unknown> };
}

/** Writes the service's error format; used by the exception filter and by middleware that runs before Nest's routing. */
export function sendError(res: Response, status: number, code: string, message: string, details?: Record<string, unknown>): void {
  const requestId = res.getHeader('x-request-id');
  const body: ErrorBody = { error: { code, message, ...(details ? { details } : {}), ...(typeof requestId === 'string' ? { request_id: requestId } : {}) } };
  res.status(status).json(body);
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
