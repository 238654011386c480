import { HttpStatus, Inject, Injectable, Logger, type ExecutionContext } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, normalizeIp, ThrottlerGuard, type ThrottlerModuleOptions, type ThrottlerOptions, type ThrottlerRequest, type ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccountTokenVerifier } from '../infra/auth/account-token.verifier.js';
import { AdminGuard } from '../infra/auth/admin.guard.js';
import { bearerToken } from '../infra/auth/principal.js';
import type { AppConfig } from '../infra/config/config.js';
import { APP_CONFIG } from '../infra/config/config.module.js';
import { AppError } from '../infra/errors/app-error.js';
import { LIMIT_KIND, type LimitKind } from '../infra/throttling/limit-kind.js';
import { LimitStore } from '../infra/throttling/limit-store.js';
import { hashApiKey } from '../tenancy/api-key.js';
import { AccountGuard } from './account.guard.js';
import { PartnerKeyGuard } from './partner-key.guard.js';

/** Paths never limited: probes and scrapes come from the platform, often and by design. */
const UNLIMITED_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/**
 * Each route's limit, worked out once per handler: every request asks once per limit (four
 * times), and reading the decorators' metadata each time was 2 % of the lookup's CPU in a profile.
 */
const limitKinds = new WeakMap<object, Map<object, LimitKind | null>>();

const limitKindOf = (context: ExecutionContext): LimitKind | null => limitKindFor(context.getClass(), context.getHandler());

/** The route's limit: named on it, else known by its guard (null: admin routes, only failed attempts limited). */
export function limitKindFor(controller: object, handler: object): LimitKind | null {
  let byHandler = limitKinds.get(controller);
  if (!byHandler) {
    byHandler = new Map();
    limitKinds.set(controller, byHandler);
  }
  let kind = byHandler.get(handler);
  if (kind === undefined) {
    kind = readLimitKind(controller, handler);
    byHandler.set(handler, kind);
  }
  return kind;
}

function readLimitKind(controller: object, handler: object): LimitKind | null {
  const named = Reflect.getMetadata(LIMIT_KIND, handler) ?? Reflect.getMetadata(LIMIT_KIND, controller);
  if (named) return named as LimitKind;
  const guards: unknown[] = [...(Reflect.getMetadata(GUARDS_METADATA, controller) ?? []), ...(Reflect.getMetadata(GUARDS_METADATA, handler) ?? [])];
  if (guards.includes(AccountGuard)) return 'account';
  if (guards.includes(PartnerKeyGuard)) return 'partner';
  if (guards.includes(AdminGuard)) return null;
  return 'ip';
}

/** The counter of a limit and a caller. */
const limitKey = (name: string, tracker: string) => `${name}:${tracker}`;

/**
 * @nestjs/throttler's limits, one per kind of caller (THROTTLE_*_LIMIT per THROTTLE_WINDOW_SECONDS):
 * each route counts against exactly one of them (limitKindOf), and 0 turns a limit off. Who is
 * counted is the guard's `getTracker`.
 */
export function requestLimits(config: AppConfig, storage: ThrottlerStorage): ThrottlerModuleOptions {
  const ttl = config.THROTTLE_WINDOW_SECONDS * 1000;
  const limit = (name: LimitKind, max: number): ThrottlerOptions => ({ name, ttl, limit: max, skipIf: (context) => max === 0 || limitKindOf(context) !== name });
  return {
    storage,
    // One counter per limit and caller across every route (the library's default counts per route).
    generateKey: (_context, tracker, name) => limitKey(name, tracker),
    throttlers: [
      limit('account', config.THROTTLE_ACCOUNT_LIMIT),
      limit('partner', config.THROTTLE_PARTNER_LIMIT),
      limit('webhook', config.THROTTLE_WEBHOOK_LIMIT),
      limit('ip', config.THROTTLE_IP_LIMIT),
    ],
  };
}

/**
 * The global guard: counts the request against its route's limit and answers 429 `rate_limited`
 * with Retry-After past it. Every limited answer carries X-RateLimit-Limit, X-RateLimit-Remaining
 * and X-RateLimit-Reset (seconds until the window ends), without the library's per-limit suffix:
 * a route has one limit. The store failing lets the request through: the limits protect the
 * service, they must not become the outage.
 */
@Injectable()
export class RequestLimitsGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly verifier: AccountTokenVerifier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super(options, storage, reflector);
  }

  /** Who the request counts for, by the route's limit. */
  protected override async getTracker(req: Record<string, unknown>, context?: ExecutionContext): Promise<string> {
    return await this.trackerOf(req as unknown as FastifyRequest, context ? limitKindOf(context) : null);
  }

  /** A string when it is known at once; a promise when a token must be verified first (account limits). */
  private trackerOf(request: FastifyRequest, kind: LimitKind | null): string | Promise<string> {
    const ip = () => `ip:${normalizeIp(request.ip)}`;
    switch (kind) {
      case 'account':
        return this.accountTracker(request, ip);
      case 'partner': {
        // Per API key, by its hash (the stored counter holds no secret); guessing keys is what the
        // failed-attempt lock-out stops.
        const header = request.headers['x-api-key'];
        const key = bearerToken(request.headers) ?? (typeof header === 'string' ? header.trim() : undefined);
        return key ? hashApiKey(key) : ip();
      }
      case 'webhook':
        return ((request.params as Record<string, string> | undefined)?.application_id ?? '').slice(0, 100);
      default:
        return ip();
    }
  }

  /**
   * Per account and application, the token verified (cached: the account guard reuses it); a
   * token that does not verify counts against its sender's address, then the guard answers 401.
   */
  private async accountTracker(request: FastifyRequest, ip: () => string): Promise<string> {
    const token = bearerToken(request.headers);
    const principal = token ? await this.verifier.verify(token).catch(() => undefined) : undefined;
    if (!principal) return ip();
    const header = request.headers['x-application-id'];
    const application = principal.applicationClaim ?? (typeof header === 'string' && header !== '' ? header : this.config.DEFAULT_APPLICATION_ID);
    return `${application.slice(0, 100)}:${principal.accountId.slice(0, 100)}`;
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return Promise.resolve(true);
    return Promise.resolve(UNLIMITED_PATHS.test(context.switchToHttp().getRequest<FastifyRequest>().url));
  }

  protected override async handleRequest({ context, limit, ttl, throttler, getTracker, generateKey }: ThrottlerRequest): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    await this.count(reply, generateKey(context, await getTracker(req, context), throttler.name!), limit, ttl, throttler.name!);
    return true;
  }

  /**
   * The same limit for a route served outside Nest's pipeline (a module's fast route, see
   * auth/fast-route.ts): counts the request against the limit of `kind`, as canActivate does
   * for a route whose limit is `kind` (that limit only; none when it is 0).
   *
   * Without a promise when nothing has to wait (no limit, or the count is in this instance's memory:
   * the memory store, a generous limit between its flushes; undefined is returned, a 429 thrown):
   * the chain of async steps of a count was a good part of the lookup's promise work (issue 17).
   */
  limitRequest(request: FastifyRequest, reply: FastifyReply, kind: LimitKind): Promise<void> | undefined {
    if (UNLIMITED_PATHS.test(request.url)) return undefined;
    const throttler = this.throttlers.find((candidate) => candidate.name === kind);
    if (!throttler || throttler.limit === 0) return undefined;
    const [limit, ttl] = [throttler.limit as number, throttler.ttl as number];
    const tracker = this.trackerOf(request, kind);
    if (typeof tracker !== 'string') return tracker.then((known) => this.count(reply, limitKey(kind, known), limit, ttl, kind));
    const record = this.storageService instanceof LimitStore ? this.storageService.incrementNow(limitKey(kind, tracker), ttl, limit) : undefined;
    if (!record) return this.count(reply, limitKey(kind, tracker), limit, ttl, kind);
    this.answer(reply, record, limit, ttl);
    return undefined;
  }

  /** Counts one request under `key`; the limit headers on the answer; 429 past the limit. */
  private async count(reply: FastifyReply, key: string, limit: number, ttl: number, name: string): Promise<void> {
    let record;
    try {
      record = await this.storageService.increment(key, ttl, limit, ttl, name);
    } catch (error) {
      new Logger('RequestLimits').warn(`counting a request failed, let through: ${(error as Error).message}`);
      return;
    }
    this.answer(reply, record, limit, ttl);
  }

  /** The limit headers of a counted request; 429 past the limit. */
  private answer(reply: FastifyReply, record: Awaited<ReturnType<ThrottlerStorage['increment']>>, limit: number, ttl: number): void {
    void reply.header('x-ratelimit-limit', String(limit));
    void reply.header('x-ratelimit-remaining', String(Math.max(0, limit - record.totalHits)));
    void reply.header('x-ratelimit-reset', String(record.timeToExpire));
    if (record.isBlocked) {
      throw AppError.retryable(HttpStatus.TOO_MANY_REQUESTS, 'rate_limited', `More than ${limit} requests in ${Math.round(ttl / 1000)} s; try again after Retry-After seconds.`, record.timeToBlockExpire);
    }
  }
}
