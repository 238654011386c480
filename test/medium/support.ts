import { MikroORM, type EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { DATABASE_SCHEMA } from '../../src/database-schema.js';
import { IdentityService } from '../../src/identity/identity.service.js';
import { ormOptions } from '../../src/infra/database/orm-options.js';
import { exec } from '../../src/infra/database/sql.js';
import type { StripeGateway } from '../../src/infra/stripe/stripe.gateway.js';
import { SubscriptionMirrorRepository } from '../../src/subscriptions/subscription-mirror.repository.js';
import { SubscriptionSyncService } from '../../src/subscriptions/subscription-sync.service.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * The medium tier: services and repositories on a real database (PostgreSQL with DATABASE_URL, else
 * PGlite) after the real migrations, without HTTP or Nest. A failure here points at the function
 * that broke; the HTTP tier above checks the same behaviour through the API.
 */
export interface MediumDb {
  orm: MikroORM;
  /** A fresh entity manager, in a transaction of its own per `tx` call. */
  tx<T>(work: (em: EntityManager) => Promise<T>): Promise<T>;
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function mediumDb(): Promise<MediumDb> {
  const database: TestDatabase | undefined = await createTestDatabase();
  const orm = await MikroORM.init({ ...ormOptions({ DATABASE_URL: database?.url ?? '', DATA_DIR: '', DATABASE_POOL_MAX: 4 }, DATABASE_SCHEMA), logger: () => undefined });
  await orm.migrator.up();
  return {
    orm,
    tx: (work) => orm.em.fork().transactional(work),
    query: (text, params = []) => exec(orm.em.fork(), text, params),
    async close() {
      await orm.close(true);
      await database?.drop();
    },
  };
}

/**
 * Stripe as the sync service sees it: the subscriptions it would fetch, by id. Only what a re-fetch
 * asks (`subscriptions.retrieve`) is answered; anything else fails the test loudly.
 */
export class StripeStub {
  readonly subscriptions = new Map<string, Stripe.Subscription>();
  readonly calls: string[] = [];

  gateway(): StripeGateway {
    const stub = {
      call: async (operation: string, fn: (stripe: unknown) => Promise<unknown>) => {
        this.calls.push(operation);
        if (operation !== 'subscriptions.retrieve') throw new Error(`unexpected Stripe call ${operation}`);
        return fn({ subscriptions: { retrieve: async (id: string) => this.current(id) } });
      },
      accountOptions: () => ({}),
    };
    return stub as unknown as StripeGateway;
  }

  private current(id: string): Stripe.Subscription {
    const found = this.subscriptions.get(id);
    if (!found) throw new Error(`the stub has no subscription ${id}`);
    return found;
  }
}

export function syncService(stripe: StripeStub): { sync: SubscriptionSyncService; mirror: SubscriptionMirrorRepository; identities: IdentityService } {
  const mirror = new SubscriptionMirrorRepository();
  const identities = new IdentityService();
  return { sync: new SubscriptionSyncService(mirror, identities, stripe.gateway()), mirror, identities };
}

const DAY = 86_400;

/** A Stripe subscription object with what the mirror reads; `overrides` set any field. */
export function subscription(id: string, customer: string, overrides: Partial<Stripe.Subscription> & { quantity?: number; periodStart?: number; periodEnd?: number } = {}): Stripe.Subscription {
  const { quantity = 1, periodStart = 1_800_000_000, periodEnd = periodStart + 30 * DAY, ...rest } = overrides;
  return {
    id,
    object: 'subscription',
    customer,
    status: 'active',
    cancel_at_period_end: false,
    cancel_at: null,
    canceled_at: null,
    ended_at: null,
    trial_start: null,
    trial_end: null,
    latest_invoice: null,
    created: periodStart,
    metadata: {},
    items: {
      object: 'list',
      has_more: false,
      url: `/v1/subscription_items?subscription=${id}`,
      data: [
        {
          id: `si_${id}`,
          object: 'subscription_item',
          quantity,
          current_period_start: periodStart,
          current_period_end: periodEnd,
          price: { id: 'price_medium', object: 'price', product: 'prod_medium', recurring: { interval: 'month', usage_type: 'licensed' } },
        },
      ],
    },
    ...rest,
  } as unknown as Stripe.Subscription;
}

/** A subscription invoice with what the mirror reads. */
export function invoice(id: string, sub: Stripe.Subscription, overrides: Partial<Stripe.Invoice> & { periodStart?: number; periodEnd?: number } = {}): Stripe.Invoice {
  const item = sub.items.data[0]!;
  const { periodStart = item.current_period_start, periodEnd = item.current_period_end, ...rest } = overrides;
  return {
    id,
    object: 'invoice',
    customer: sub.customer,
    status: 'paid',
    billing_reason: 'subscription_cycle',
    currency: 'jpy',
    amount_due: 1000,
    amount_paid: 1000,
    amount_remaining: 0,
    total: 1000,
    hosted_invoice_url: null,
    attempt_count: 1,
    next_payment_attempt: null,
    created: periodStart,
    period_start: periodStart,
    period_end: periodStart,
    parent: { type: 'subscription_details', subscription_details: { subscription: sub.id } },
    lines: { object: 'list', has_more: false, data: [{ period: { start: periodStart, end: periodEnd } }] },
    ...rest,
  } as unknown as Stripe.Invoice;
}

export const scope = { stripeAccount: 'platform', merchantId: 'platform', applicationId: 'default' };
export { DAY };
