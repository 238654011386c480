import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApplicationsService } from '../tenancy/applications.service.js';

/** The account routes, the only ones browsers may call (admin and partner routes are for servers). */
const ACCOUNT_ROUTES = /^\/api\/(subscriptions|accounts\/[^/]+\/subscriptions)(\/|\?|$)/;

/** Headers a browser app sends to the account routes. */
const ALLOWED_HEADERS = 'Authorization, Content-Type, Idempotency-Key, X-Application-Id';
/** Headers it may read from the answers: the request id to quote, Retry-After and the limit headers to honour. */
const EXPOSED_HEADERS = 'X-Request-Id, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset';
const ALLOWED_METHODS = 'GET, POST';
/** How long a browser may keep a preflight's answer (seconds). */
const PREFLIGHT_MAX_AGE = '600';

/**
 * CORS for browser apps: a browser on an origin that some application allows (`allowed_origins`,
 * the same list that governs redirect URLs) may call the account routes with a bearer token;
 * preflights are answered for those origins. Other origins, and every admin and partner route, get
 * no CORS headers (a preflight there is a 404), so the browser refuses to send or to read.
 *
 * The preflight carries no token, so it cannot say which application it is for: it is judged
 * against every application's origins. The request itself is then held to its own application's
 * list by the AccountGuard (403 `origin_not_allowed`), so an origin allowed for one application
 * never reads another's data. No cookies are used, so no credentials are allowed.
 *
 * Why not @fastify/cors (through Nest's enableCors), which this was until issue 17: our policy
 * depends on the route, so the plugin ran in its per-request mode, normalising and copying its
 * options object twice and building a resolver on every request, the partner lookup and the
 * webhook intake included, which never send an Origin. Measured: 6-7 points of the lookup's share
 * of its bare floor, 20 µs of CPU a request on a slow machine. This hook answers exactly as the
 * plugin did for these options (the same headers, `Vary: Origin` on every answer, 204 with
 * Content-Length 0 for a preflight, 400 for a preflight without Access-Control-Request-Method),
 * test/cors.spec.ts and the browser's own check (test/browser/cors.browser.spec.ts) hold it to that.
 */
export function enableAccountCors(app: NestFastifyApplication): void {
  const applications = app.get(ApplicationsService);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    // Every answer varies by Origin: a cache must not give one origin's answer to another. (No hook
    // before this one sets Vary, so it is set, not merged.)
    void reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    // Servers (partners, webhooks, most callers) send no Origin: nothing more to do, at once.
    if (!origin || !ACCOUNT_ROUTES.test(request.url)) return done();
    applications.browserOrigins().then(
      (allowed) => {
        if (!allowed.has(origin)) return done();
        void reply.header('access-control-allow-origin', origin);
        void reply.header('access-control-expose-headers', EXPOSED_HEADERS);
        if (request.raw.method !== 'OPTIONS') return done();
        // A preflight is answered here, before any guard: the browser sends it without the token.
        if (!request.headers['access-control-request-method']) return void reply.code(400).type('text/plain').send('Invalid Preflight Request');
        void reply.header('access-control-allow-methods', ALLOWED_METHODS);
        void reply.header('access-control-allow-headers', ALLOWED_HEADERS);
        void reply.header('access-control-max-age', PREFLIGHT_MAX_AGE);
        // Safari waits for a body on a 204 without Content-Length.
        void reply.code(204).header('content-length', '0').send();
      },
      // The origins could not be read (the database is down): no CORS headers, the request itself answers as it can.
      () => done(),
    );
  });
  // Lets the router take an OPTIONS request for any path; one that was not answered as a preflight above is a 404.
  fastify.options('*', (_request, reply) => reply.callNotFound());
}
