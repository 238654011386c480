import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import Stripe from 'stripe';

import { AppError } from '../errors/app-error.js';
import { Metrics } from '../metrics/metrics.service.js';
import { toAppError } from './stripe-errors.js';
import { noteStripeRequestId } from './stripe-request-ids.js';
import { PLATFORM_ACCOUNT, stripeAccountOf, type ChargeModel } from './accounts.js';

/** How to reach Stripe: the platform key, and for tests and local mode the emulator's address. */
export interface StripeConnection {
  secretKey: string;
  /** e.g. http://127.0.0.1:12111; undefined = api.stripe.com */
  apiBase?: string;
  /** One attempt of one call. */
  timeoutMs: number;
  maxNetworkRetries: number;
  /** All the calls of one API request, retries included (STRIPE_REQUEST_DEADLINE_MS); one call's outside a request. */
  requestDeadlineMs?: number;
}
export const STRIPE_CONNECTION = Symbol('STRIPE_CONNECTION');
const DEFAULT_REQUEST_DEADLINE_MS = 15_000;
const DEADLINE_SLACK_MS = 50;

/**
 * The Stripe time of one API request: its first Stripe call starts the clock, and every call of
 * the request, with the SDK's retries, shares what is left. `open` turns false once the request
 * has been answered, so that work it left running (a worker it woke) is not held to its deadline.
 */
export class StripeBudget {
  deadlineAt?: number;
  open = true;
}
const budgets = new AsyncLocalStorage<StripeBudget>();
/** The Stripe call in progress: its deadline (epoch ms), read by the HTTP client below for each attempt, and the attempts it made. */
interface CallInProgress {
  deadlineAt: number;
  attempts: number;
}
const calls = new AsyncLocalStorage<CallInProgress>();

/** Runs `work` (the handling of one API request) with one Stripe deadline for all its calls. */
export function withStripeBudget<T>(budget: StripeBudget, work: () => T): T {
  return budgets.run(budget, work);
}

/**
 * The SDK's node HTTP client, with each attempt's timeout cut to what is left of the call's
 * deadline, and no attempt started once it has passed: the SDK's own timeout and retries then stay
 * within the deadline (a timed-out attempt is destroyed, not left to finish in the background).
 * Each attempt is counted (the metrics' 429s, timeouts and retries: the SDK's own retries are
 * visible only here).
 */
class DeadlineHttpClient extends Stripe.HttpClient {
  constructor(
    private readonly onAttempt: (result: string) => void,
    private readonly inner: Stripe.HttpClient = Stripe.createNodeHttpClient(),
  ) {
    super();
  }
  override getClientName(): string {
    return this.inner.getClientName();
  }
  override makeRequest(...[host, port, path, method, headers, requestData, protocol, timeout]: Parameters<Stripe.HttpClient['makeRequest']>): ReturnType<Stripe.HttpClient['makeRequest']> {
    const call = calls.getStore();
    const left = call === undefined ? timeout : call.deadlineAt - Date.now();
    if (left <= 0) return Promise.reject(Stripe.HttpClient.makeTimeoutError());
    if (call) call.attempts += 1;
    return this.inner.makeRequest(host, port, path, method, headers, requestData, protocol, Math.min(timeout, left)).then(
      (response) => {
        this.onAttempt(String(response.getStatusCode()));
        // Every response, an error's too (Stripe quotes its request id in support cases).
        const id = response.getHeaders()['request-id'];
        noteStripeRequestId(typeof id === 'string' ? id : undefined);
        return response;
      },
      (error: unknown) => {
        this.onAttempt((error as { code?: string } | null)?.code === Stripe.HttpClient.TIMEOUT_ERROR_CODE ? 'timeout' : 'network_error');
        throw error;
      },
    );
  }
}

class DeadlinePassed extends Error {}

/** The part of a merchant that decides where its Stripe objects live. */
export interface MerchantScope {
  chargeModel: ChargeModel;
  stripeAccountId?: string | null;
}

/**
 * The one place that talks to Stripe. It builds the SDK client (pointed at the emulator when an
 * API base is configured), scopes calls to a merchant (Stripe-Account for direct charges), derives
 * idempotency keys, and turns Stripe errors into our error codes. Nothing else imports `stripe` to
 * make calls.
 */
@Injectable()
export class StripeGateway {
  private readonly logger = new Logger(StripeGateway.name);
  readonly client: Stripe;
  private calls = 0;
  private readonly deadlineMs: number;

  constructor(
    @Inject(STRIPE_CONNECTION) connection: StripeConnection,
    private readonly metrics: Metrics,
  ) {
    const base = connection.apiBase ? new URL(connection.apiBase) : undefined;
    this.deadlineMs = connection.requestDeadlineMs ?? DEFAULT_REQUEST_DEADLINE_MS;
    this.client = new Stripe(connection.secretKey, {
      maxNetworkRetries: connection.maxNetworkRetries,
      timeout: connection.timeoutMs,
      httpClient: new DeadlineHttpClient((result) => metrics.stripeAttempt(result)),
      telemetry: false,
      appInfo: { name: 'billing-service' },
      ...(base ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol.replace(':', '') as 'http' | 'https' } : {}),
    });
  }

  /** Request options for a call on behalf of a merchant (Stripe-Account for direct charges), with an idempotency key for mutations. */
  options(merchant: MerchantScope, idempotencyKey?: string): Stripe.RequestOptions {
    return this.accountOptions(stripeAccountOf(merchant), idempotencyKey);
  }

  /** The same for objects known by the Stripe account they live on (`platform` or `acct_...`). */
  accountOptions(stripeAccount: string, idempotencyKey?: string): Stripe.RequestOptions {
    return { ...(stripeAccount !== PLATFORM_ACCOUNT ? { stripeAccount } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) };
  }

  /**
   * A deterministic idempotency key from what identifies the intent (operation, account, ids and
   * the request's own parameters), so that a retried request creates one Stripe object, not two.
   */
  idempotencyKey(operation: string, ...parts: unknown[]): string {
    return `${operation}:${createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 40)}`;
  }

  /**
   * Runs one Stripe call; a Stripe failure becomes an AppError with our code and status. Within an
   * API request the call gets what is left of the request's Stripe deadline (see StripeBudget),
   * elsewhere a deadline of its own; past it the caller gets 503 stripe_timeout at once, with no
   * further attempt, and the caller writes nothing since the call threw.
   */
  async call<T>(operation: string, fn: (stripe: Stripe) => Promise<T>): Promise<T> {
    this.calls += 1;
    const budget = budgets.getStore();
    const deadlineAt = budget?.open ? (budget.deadlineAt ??= Date.now() + this.deadlineMs) : Date.now() + this.deadlineMs;
    let timer: NodeJS.Timeout | undefined;
    const call: CallInProgress = { deadlineAt, attempts: 0 };
    const started = performance.now();
    let outcome = 'ok';
    try {
      if (deadlineAt <= Date.now()) throw new DeadlinePassed();
      const attempt = calls.run(call, () => fn(this.client));
      // The SDK may be sleeping before a retry when the deadline passes: the caller is not kept waiting for it.
      attempt.catch(() => undefined);
      const passed = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new DeadlinePassed()), deadlineAt - Date.now())));
      return await Promise.race([attempt, passed]);
    } catch (error) {
      // An attempt cut short by the deadline fails as a connection error, possibly a few ms before our own timer.
      const cutByDeadline = error instanceof Stripe.errors.StripeConnectionError && Date.now() >= deadlineAt - DEADLINE_SLACK_MS;
      const mapped = error instanceof DeadlinePassed || cutByDeadline ? this.timedOut() : toAppError(error);
      this.logger.warn(`Stripe ${operation} failed: ${mapped.code} (${error instanceof Error ? error.message || error.name : String(error)})`);
      outcome = mapped.code;
      throw mapped;
    } finally {
      clearTimeout(timer);
      this.metrics.stripeCall(operation, outcome, (performance.now() - started) / 1000, call.attempts);
    }
  }

  private timedOut(): AppError {
    return AppError.retryable(HttpStatus.SERVICE_UNAVAILABLE, 'stripe_timeout', `Stripe did not answer within ${this.deadlineMs} ms; try again (a mutation with the same Idempotency-Key).`);
  }

  /** Stripe calls made by this process (reported by the reconciler and the benchmarks). */
  get callCount(): number {
    return this.calls;
  }
}
