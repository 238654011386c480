import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import Stripe from 'stripe';
import { PLATFORM_ACCOUNT } from '../../identity/identity.entity.js';
import { stripeAccountOf, type ChargeModel } from '../../tenancy/merchant.entity.js';
import { toAppError } from './stripe-errors.js';

/** How to reach Stripe: the platform key, and for tests and local mode the emulator's address. */
export interface StripeConnection {
  secretKey: string;
  /** e.g. http://127.0.0.1:12111; undefined = api.stripe.com */
  apiBase?: string;
  timeoutMs: number;
  maxNetworkRetries: number;
}
export const STRIPE_CONNECTION = Symbol('STRIPE_CONNECTION');

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

  constructor(@Inject(STRIPE_CONNECTION) connection: StripeConnection) {
    const base = connection.apiBase ? new URL(connection.apiBase) : undefined;
    this.client = new Stripe(connection.secretKey, {
      maxNetworkRetries: connection.maxNetworkRetries,
      timeout: connection.timeoutMs,
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

  /** Runs one Stripe call; a Stripe failure becomes an AppError with our code and status. */
  async call<T>(operation: string, fn: (stripe: Stripe) => Promise<T>): Promise<T> {
    this.calls += 1;
    try {
      return await fn(this.client);
    } catch (error) {
      const mapped = toAppError(error);
      this.logger.warn(`Stripe ${operation} failed: ${mapped.code} (${error instanceof Error ? error.message : String(error)})`);
      throw mapped;
    }
  }

  /** Stripe calls made by this process (reported by the reconciler and the benchmarks). */
  get callCount(): number {
    return this.calls;
  }
}
