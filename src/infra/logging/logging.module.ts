import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../config/config.js';

/** Request ids from a caller are kept only when they look like ids, so logs cannot be forged through them. */
const REQUEST_ID = /^[\w.-]{8,128}$/;

/** The id of a request: the caller's X-Request-Id when it looks like one, a new UUID otherwise. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Paths of everything that may carry a secret. pino replaces them before a line is written,
 * so no token, key, signature or cookie reaches the log.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["stripe-signature"]',
  'res.headers["set-cookie"]',
];

export function loggingModule(config: AppConfig) {
  return LoggerModule.forRoot({
    // Every route. nestjs-pino's default path (`{/*splat}`) is not matched by Fastify's middleware adapter.
    forRoutes: [{ path: '{*all}', method: RequestMethod.ALL }],
    pinoHttp: {
      level: config.LOG_LEVEL,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // Fastify gives every request its id (requestIdOf, see http-adapter.ts) and pino-http logs it.
      // Query strings can hold ids but never secrets in this API; bodies are not logged at all.
      serializers: {
        req: (req: { id: unknown; method: string; url: string; headers: Record<string, unknown> }) => ({ id: req.id, method: req.method, url: req.url, headers: req.headers }),
      },
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    },
  });
}
