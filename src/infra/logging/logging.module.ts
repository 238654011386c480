import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LogFn, Logger } from 'pino';
import type { AppConfig } from '../config/config.js';

/** Request ids from a caller are kept only when they look like ids, so logs cannot be forged through them. */
const REQUEST_ID = /^[\w.-]{8,128}$/;

/** The id of a request: the caller's X-Request-Id when it looks like one, a new UUID otherwise. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Request headers whose values are logged as sent. A secret can travel in any header (proxy
 * credentials, custom tokens, idempotency keys that name an intent), so the log keeps only headers
 * known to be harmless and shows every other one by name with its value replaced: a deny-list
 * would miss whatever header nobody thought of.
 */
export const LOGGED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'user-agent',
  'content-type',
  'content-length',
  'content-encoding',
  'accept',
  'accept-encoding',
  'accept-language',
  'connection',
  'origin',
  'x-request-id',
  'x-application-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-real-ip',
]);
export const REDACTED = '[redacted]';

/** The request headers as logged: allowed ones verbatim, the rest `[redacted]`. */
export function loggedRequestHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const logged: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) logged[name] = LOGGED_REQUEST_HEADERS.has(name.toLowerCase()) ? value : REDACTED;
  return logged;
}

/** Response headers are ours; only a cookie could carry a secret there. */
export const REDACTED_PATHS = ['res.headers["set-cookie"]'];

/**
 * Nest's start-up chatter: one line per module and per route (some 90 lines before the start-up
 * banner). Logged at debug, so that `LOG_LEVEL=debug` still shows which routes were mapped.
 */
export const START_UP_CHATTER: ReadonlySet<string> = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

// Colour codes (CSI … m) that libraries write for terminals (MikroORM's "[migrator]" prefix).
// eslint-disable-next-line no-control-regex
const ANSI_CODES = /\u001b\[[0-9;]*m/g;

/** A log line's text without terminal colour codes: in a JSON line they are only noise ("\u001b[90m"). */
export function withoutAnsi(text: string): string {
  return text.replace(ANSI_CODES, '');
}

/**
 * pino's logMethod hook: strips colour codes from the message (and from a `msg` field), and logs
 * Nest's start-up chatter (START_UP_CHATTER, which Nest logs at `log`, i.e. info) at debug.
 */
export function logMethodHook(this: Logger, args: Parameters<LogFn>, method: LogFn, level: number): void {
  const cleaned = (args as unknown[]).map((arg) => {
    if (typeof arg === 'string') return withoutAnsi(arg);
    if (arg && typeof arg === 'object' && typeof (arg as { msg?: unknown }).msg === 'string') return { ...arg, msg: withoutAnsi((arg as { msg: string }).msg) };
    return arg;
  }) as Parameters<LogFn>;
  const context = cleaned[0] && typeof cleaned[0] === 'object' ? (cleaned[0] as { context?: unknown }).context : undefined;
  // 30 is pino's info: only that level is lowered (the debug call below comes back here at 20).
  if (level === 30 && typeof context === 'string' && START_UP_CHATTER.has(context)) {
    if (this.isLevelEnabled('debug')) this.debug(...cleaned);
    return;
  }
  method.apply(this, cleaned);
}

export function loggingModule(config: AppConfig) {
  return LoggerModule.forRoot({
    // No Nest middleware: the request log and the request's fields come from the request hook
    // (requestLogging). pino-http is still what builds the logger, with these options.
    forRoutes: [],
    pinoHttp: {
      level: config.LOG_LEVEL,
      // Every line logged while a request is served carries it as `req` (see requestLogging).
      mixin: requestFields,
      hooks: { logMethod: logMethodHook },
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
      // Fastify gives every request its id (requestIdOf, see http-adapter.ts) and it is logged as `req.id`.
      // Query strings can hold ids but never secrets in this API; bodies are not logged at all;
      // headers are logged by allow-list (LOGGED_REQUEST_HEADERS).
      serializers: {
        req: (req: { id: unknown; method: string; url: string; headers: Record<string, unknown> }) => ({ id: req.id, method: req.method, url: req.url, headers: loggedRequestHeaders(req.headers) }),
      },
    },
  });
}

/** A request's log line is at error for a 5xx or a failed response, warn for a 4xx, info otherwise. */
function requestLogLevel(_req: IncomingMessage, res: ServerResponse, error?: Error): 'error' | 'warn' | 'info' {
  return error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
}

const START = Symbol('requestLogStart');

/** The request being served, for the lines logged meanwhile (pino's mixin, requestFields). */
const servedRequest = new AsyncLocalStorage<IncomingMessage>();

/** The fields pino adds to every line: `req` while a request is served (serialized only if the line is written). */
function requestFields(): { req?: IncomingMessage } {
  const req = servedRequest.getStore();
  return req ? { req } : {};
}

/**
 * One log line per request ("request completed", or "request errored" for a 5xx or a failed
 * response, with `req`, `res` and `responseTime`), and `req` on every line logged while the request
 * is served: `next` runs with the request known to pino's mixin (requestFields). Undefined at
 * LOG_LEVEL=silent, where no line can be written: nothing to prepare.
 *
 * Those were nestjs-pino's pino-http middleware, run as Nest middleware through @fastify/middie.
 * The hot paths (issue 17) paid for that route on every request: middie's matching and its
 * copies of the request's properties, Nest's middleware proxy and path matching, before any of
 * the logging itself (5-6 % of the partner lookup's CPU in a profile). The same lines are written
 * here from the request hook (infra/http/request-hooks.ts), with the same pino logger (pino-http
 * builds it from the options above) and the same serializers. Unlike pino-http, no child logger is
 * bound to each request (its bindings were serialized, headers and all, on every request, whether a
 * line was written or not: at LOG_LEVEL=warn, 3.5 µs of the webhook intake's CPU per delivery for
 * no line); the mixin adds `req` to the lines that are written, in the same place. The line is the
 * same line, field for field (test/request-log.spec.ts). Without a per-request logger, nestjs-pino's
 * PinoLogger.assign (fields added to the request's logger) has nothing to add to, and is not used.
 */
export function requestLogging(logger: PinoLogger): ((request: FastifyRequest, reply: FastifyReply, next: () => void) => void) | undefined {
  if (!logger.logger.isLevelEnabled('fatal')) return undefined;
  return (request, reply, next) => {
    const req = request.raw as IncomingMessage & { id?: string; originalUrl?: string };
    const res = reply.raw as ServerResponse & { [START]?: number; err?: Error };
    // What the serializers read from the request: its id, and the URL as it came (before any rewrite).
    req.id = request.id;
    req.originalUrl = req.url;
    res[START] = Date.now();
    // 'close' comes once the response is done, finished or cut short ('finish' comes first when it
    // finished, and says nothing more here); 'error' when writing it failed.
    const complete = (error?: Error) => {
      res.removeListener('close', complete);
      res.removeListener('error', complete);
      const level = requestLogLevel(req, res, error);
      const log = logger.logger;
      if (!log.isLevelEnabled(level)) return;
      const responseTime = Date.now() - res[START]!;
      // `req` given here: a listener of the response does not always run within the request's context.
      if (error || res.err || res.statusCode >= 500) {
        log[level]({ req, res, err: error ?? res.err ?? new Error(`failed with status code ${res.statusCode}`), responseTime }, 'request errored');
      } else {
        log[level]({ req, res, responseTime }, 'request completed');
      }
    };
    res.on('close', complete);
    res.on('error', complete);
    servedRequest.run(req, next);
  };
}
