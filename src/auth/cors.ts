import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyRequest } from 'fastify';
import { ApplicationsService } from '../tenancy/applications.service.js';

/** The account routes, the only ones browsers may call (admin and partner routes are for servers). */
const ACCOUNT_ROUTES = /^\/api\/(subscriptions|accounts\/[^/]+\/subscriptions)(\/|\?|$)/;

/** Headers a browser app sends to the account routes. */
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Application-Id'];
/** Headers it may read from the answers: the request id to quote, Retry-After and the limit headers to honour. */
const EXPOSED_HEADERS = ['X-Request-Id', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];

const NO_CORS: FastifyCorsOptions = { origin: false };

/**
 * CORS for browser apps, with Fastify's CORS plugin through Nest: a browser on an origin that some
 * application allows (`allowed_origins`, the same list that governs redirect URLs) may call the
 * account routes with a bearer token; preflights are answered for those origins. Other origins, and
 * every admin and partner route, get no CORS headers (a preflight there is a 404), so the browser
 * refuses to send or to read.
 *
 * The preflight carries no token, so it cannot say which application it is for: it is judged
 * against every application's origins. The request itself is then held to its own application's
 * list by the AccountGuard (403 `origin_not_allowed`), so an origin allowed for one application
 * never reads another's data. No cookies are used, so no credentials are allowed.
 */
export async function enableAccountCors(app: NestFastifyApplication): Promise<void> {
  const applications = app.get(ApplicationsService);
  const decide = async (origin: string): Promise<string | false> => ((await applications.browserOrigins()).has(origin) ? origin : false);
  // Fastify's CORS plugin takes a function of (request, callback) as a per-request options delegate.
  const perRequest = (req: FastifyRequest, callback: (error: Error | null, options: FastifyCorsOptions) => void) => {
    const origin = req.headers.origin;
    // Servers (partners, webhooks, most callers) send no Origin: answered at once, without a promise per request.
    if (!origin || !ACCOUNT_ROUTES.test(req.url)) return callback(null, NO_CORS);
    decide(origin).then(
      (allowed) => callback(null, { origin: allowed, methods: ['GET', 'POST'], allowedHeaders: ALLOWED_HEADERS, exposedHeaders: EXPOSED_HEADERS, maxAge: 600, credentials: false }),
      // The origins could not be read (the database is down): no CORS headers, the request itself answers as it can.
      () => callback(null, NO_CORS),
    );
  };
  app.enableCors(perRequest as unknown as FastifyCorsOptions);
}
