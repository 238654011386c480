import { GUARDS_METADATA, HTTP_CODE_METADATA, INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod, type Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { RequestLimitsGuard, limitKindFor } from './request-limits.guard.js';
import { answerError } from '../infra/errors/all-exceptions.filter.js';
import { AUDITED } from '../audit/audited.js';

/** A controller's GET or POST handler served outside Nest's per-request pipeline (see serveFast). */
export interface FastRoute<C = unknown> {
  controller: Type<C>;
  /** The handler's name on the controller: its path, route config, docs and limit come from it. */
  method: keyof C & string;
  /**
   * The controller's one guard, which serveFast checks is what the controller declares (so that the
   * two cannot drift apart); none for a route without guards (the webhook intake: the signature is its check).
   */
  guard?: Type;
  /** The guard's rule (its `authenticate`, the very code its canActivate runs); with `guard` only. */
  authenticate?(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Calls the controller's handler with what Nest's parameter decorators would have given it. */
  handle(controller: C, request: FastifyRequest): Promise<unknown>;
}

/** A route of one controller, typed for it, as serveFast takes it. */
export const fastRoute = <C>(route: FastRoute<C>): FastRoute => route as unknown as FastRoute;

/**
 * The partner lookup, `features` and the webhook intake answer thousands of calls a second (issue
 * 17); Nest's per-request pipeline around them (execution context, guards, interceptors, pipes, the
 * exception filter, rxjs) cost several times what the bare query does. Their handlers are served by a
 * plain Fastify handler instead, doing exactly what that pipeline did for these routes, each step by
 * the same code the pipeline runs: the global request limit (RequestLimitsGuard.limitRequest), the
 * controller's guard (its `authenticate`), the controller's own handler answered with the handler's
 * status (@HttpCode, else Nest's 201 for POST and 200 otherwise), and errors answered by the
 * exception filter's `answerError`. The global interceptor (the audit trail) does nothing on a route
 * without @Audited (serveFast refuses an audited route, and one with interceptors of its own), and
 * the global validation pipe does not look at these handlers' arguments (strings, the request).
 * Body parsing (the raw bytes the intake's signature needs, 413, 415, malformed JSON) is Fastify's
 * content-type parser and runs before any handler, so it is the same on both paths.
 *
 * Why the controller stays: it is the route's one declaration. Nest registers the route on Fastify
 * from it as for every route (its path, its route config such as @FromDatabaseOnly, and the
 * OpenAPI document all come from it); only the handler Fastify calls is swapped as the route is
 * registered (an onRoute hook). So every Fastify hook (request id, security headers, CORS, the
 * request log, HTTP metrics by route template, and what the route config asks for) runs exactly as
 * for any route.
 *
 * Must be called after the application is created and before it is initialised (listen or init).
 */
export function serveFast(app: NestFastifyApplication, routes: readonly FastRoute[]): void {
  const limits = app.get(RequestLimitsGuard);
  const byRoute = new Map<string, RouteHandlerMethod>();
  for (const route of routes) {
    const name = `fast route ${route.controller.name}.${route.method}`;
    const handler = (route.controller.prototype as Record<string, unknown>)[route.method] as object;
    const guards = [...(Reflect.getMetadata(GUARDS_METADATA, route.controller) ?? []), ...(Reflect.getMetadata(GUARDS_METADATA, handler) ?? [])] as unknown[];
    const declared = route.guard ? [route.guard] : [];
    if (guards.length !== declared.length || guards.some((guard, i) => guard !== declared[i])) throw new Error(`${name}: its guards are not [${declared.map((g) => g.name).join(', ')}]`);
    // What this handler does not do: the audit trail's record, a route's own interceptors.
    if (Reflect.getMetadata(AUDITED, handler) !== undefined) throw new Error(`${name}: an @Audited route is recorded by the audit interceptor, which a fast route skips`);
    if ([route.controller, handler].some((target) => ((Reflect.getMetadata(INTERCEPTORS_METADATA, target) ?? []) as unknown[]).length > 0)) throw new Error(`${name}: has interceptors`);
    const method = (Reflect.getMetadata(METHOD_METADATA, handler) ?? RequestMethod.GET) as RequestMethod;
    if (method !== RequestMethod.GET && method !== RequestMethod.POST) throw new Error(`${name}: only GET and POST handlers are served fast`);
    // Nest's status for the handler's answer (set after the guards; an error's comes from answerError).
    const status = (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? (method === RequestMethod.POST ? 201 : 200);
    const kind = limitKindFor(route.controller, handler);
    const controller = app.get(route.controller);
    byRoute.set(routeKey(RequestMethod[method], routeUrl(route.controller, handler)), (request, reply) => {
      // The limit answers without a promise when it counts in memory (see limitRequest); a 429 is then thrown here.
      let limited: Promise<void> | undefined;
      try {
        limited = kind ? limits.limitRequest(request, reply, kind) : undefined;
      } catch (error) {
        answerError(reply, error);
        return;
      }
      const authenticate = () => route.authenticate?.(request, reply);
      (limited ? limited.then(authenticate) : Promise.resolve(authenticate()))
        .then(() => route.handle(controller, request))
        .then(
          (body) => void reply.code(status).send(body),
          (error: unknown) => answerError(reply, error),
        );
    });
  }
  const served = new Set<string>();
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRoute', (options) => {
    // Fastify registers a GET route's HEAD twin itself; it is served like the GET.
    const methods = [...new Set(([] as string[]).concat(options.method).map((method) => (method === 'HEAD' ? 'GET' : method)))];
    if (methods.length !== 1) return;
    const key = routeKey(methods[0]!, options.url ?? '');
    const handler = byRoute.get(key);
    if (!handler) return;
    options.handler = handler;
    served.add(key);
  });
  // A route renamed in its controller must not silently fall back to the slow path.
  fastify.addHook('onReady', (done) => {
    const missing = [...byRoute.keys()].filter((key) => !served.has(key));
    done(missing.length > 0 ? new Error(`fast routes matched no registered route: ${missing.join(', ')}`) : undefined);
  });
}

const routeKey = (method: string, url: string) => `${method} ${url}`;

/** The path Nest registers for a handler: its controller's path and its own. */
function routeUrl(controller: Type, handler: object): string {
  const parts = [Reflect.getMetadata(PATH_METADATA, controller), Reflect.getMetadata(PATH_METADATA, handler)] as (string | undefined)[];
  const joined = `/${parts.filter((part) => part && part !== '/').join('/')}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}
