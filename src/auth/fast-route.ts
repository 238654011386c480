import { GUARDS_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { RequestLimitsGuard, limitKindFor } from './request-limits.guard.js';
import { answerError } from '../infra/errors/all-exceptions.filter.js';

/** A controller's GET handler served outside Nest's per-request pipeline (see serveFast). */
export interface FastRoute<C = unknown> {
  controller: Type<C>;
  /** The handler's name on the controller: its path, route config, docs and limit come from it. */
  method: keyof C & string;
  /** The controller's one guard, which serveFast checks is what the controller declares (so that the two cannot drift apart). */
  guard: Type;
  /** The guard's rule (its `authenticate`, the very code its canActivate runs). */
  authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Calls the controller's handler with what Nest's parameter decorators would have given it. */
  handle(controller: C, request: FastifyRequest): Promise<unknown>;
}

/** A route of one controller, typed for it, as serveFast takes it. */
export const fastRoute = <C>(route: FastRoute<C>): FastRoute => route as unknown as FastRoute;

/**
 * The partner lookup and `features` answer thousands of calls a second (issue 17); Nest's
 * per-request pipeline around them (execution context, guards, interceptors, pipes, the exception
 * filter, rxjs) cost several times what the bare query does. Their GET handlers are served by a
 * plain Fastify handler instead, doing exactly what that pipeline did for these routes, each step by
 * the same code the pipeline runs: the global request limit (RequestLimitsGuard.limitRequest), the
 * controller's guard (its `authenticate`), the controller's own handler, and errors answered by
 * the exception filter's `answerError`. The global interceptor (the audit trail) does nothing on a
 * route without @Audited, and the global validation pipe does not look at these handlers' arguments.
 *
 * Why the controller stays: it is the route's one declaration. Nest registers the route on Fastify
 * from it as for every route (its path, its route config such as @WithoutRequestContext, and the
 * OpenAPI document all come from it); only the handler Fastify calls is swapped as the route is
 * registered (an onRoute hook). So every Fastify hook (request id, security headers, CORS, the
 * request log, HTTP metrics by route template, the Stripe budget) runs exactly as for any route.
 *
 * Must be called after the application is created and before it is initialised (listen or init).
 */
export function serveFast(app: NestFastifyApplication, routes: readonly FastRoute[]): void {
  const limits = app.get(RequestLimitsGuard);
  const byUrl = new Map<string, RouteHandlerMethod>();
  for (const route of routes) {
    const handler = (route.controller.prototype as Record<string, unknown>)[route.method] as object;
    const guards = [...(Reflect.getMetadata(GUARDS_METADATA, route.controller) ?? []), ...(Reflect.getMetadata(GUARDS_METADATA, handler) ?? [])] as unknown[];
    if (guards.length !== 1 || guards[0] !== route.guard) throw new Error(`fast route ${route.controller.name}.${route.method}: its guards are not [${route.guard.name}]`);
    const kind = limitKindFor(route.controller, handler);
    const controller = app.get(route.controller);
    byUrl.set(routeUrl(route.controller, handler), (request, reply) => {
      (kind ? limits.limitRequest(request, reply, kind) : Promise.resolve())
        .then(() => route.authenticate(request, reply))
        .then(() => route.handle(controller, request))
        .then(
          (body) => void reply.send(body),
          (error: unknown) => answerError(reply, error),
        );
    });
  }
  const served = new Set<string>();
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRoute', (options) => {
    const handler = byUrl.get(options.url ?? '');
    const methods = ([] as string[]).concat(options.method);
    if (!handler || !methods.every((method) => method === 'GET' || method === 'HEAD')) return;
    options.handler = handler;
    served.add(options.url!);
  });
  // A route renamed in its controller must not silently fall back to the slow path.
  fastify.addHook('onReady', (done) => {
    const missing = [...byUrl.keys()].filter((url) => !served.has(url));
    done(missing.length > 0 ? new Error(`fast routes matched no registered route: ${missing.join(', ')}`) : undefined);
  });
}

/** The path Nest registers for a handler: its controller's path and its own. */
function routeUrl(controller: Type, handler: object): string {
  const parts = [Reflect.getMetadata(PATH_METADATA, controller), Reflect.getMetadata(PATH_METADATA, handler)] as (string | undefined)[];
  const joined = `/${parts.filter((part) => part && part !== '/').join('/')}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}
