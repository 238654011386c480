import { defineEntity, p } from '@mikro-orm/core';
import { USAGE_TYPES } from '../entitlements/catalog.entity.js';

export const SUBSCRIPTION_STATUSES = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/**
 * Mirror of a Stripe subscription. No foreign keys to other mirrored tables: Stripe events arrive
 * in any order, and a subscription may be seen before its customer or price.
 */
export const SubscriptionSchema = defineEntity({
  name: 'Subscription',
  tableName: 'subscriptions',
  indexes: [
    { name: 'subscriptions_account_application_index', properties: ['accountId', 'applicationId'] },
    { name: 'subscriptions_customer_index', properties: ['stripeAccount', 'customerId'] },
    { name: 'subscriptions_merchant_index', properties: ['merchantId'] },
  ],
  properties: {
    /** Stripe's `sub_...`. */
    id: p.string().length(255).primary(),
    stripeAccount: p.string().length(64),
    merchantId: p.string().length(64).nullable(),
    applicationId: p.string().length(64).nullable(),
    /** Null while the customer is not yet linked to an account. */
    accountId: p.string().length(255).nullable(),
    customerId: p.string().length(255),
    status: p.enum(SUBSCRIPTION_STATUSES),
    cancelAtPeriodEnd: p.boolean().default(false),
    cancelAt: p.datetime().nullable(),
    canceledAt: p.datetime().nullable(),
    endedAt: p.datetime().nullable(),
    currentPeriodStart: p.datetime().nullable(),
    currentPeriodEnd: p.datetime().nullable(),
    trialStart: p.datetime().nullable(),
    trialEnd: p.datetime().nullable(),
    /** When a renewal payment first failed (starts the past_due grace). */
    firstFailedPaymentAt: p.datetime().nullable(),
    latestInvoiceId: p.string().length(255).nullable(),
    latestInvoiceStatus: p.string().length(32).nullable(),
    /** Until when this subscription grants access under the access policy; null: no access. */
    accessUntil: p.datetime().nullable(),
    /** Stripe's creation time of the subscription. */
    stripeCreated: p.datetime(),
    /** Ordering marker: Stripe time (unix seconds) of the newest state applied here. */
    stripeVersion: p.bigint('number').default(0),
    /** Set by a reconcile run that no longer found the subscription in Stripe. */
    missingInStripeAt: p.datetime().nullable(),
    metadata: p.json<Record<string, string>>().default('{}'),
    raw: p.json<Record<string, unknown>>(),
    /**
     * SHA-1 of `raw` as written (hex): a listing tells an unchanged subscription by it without
     * sending its whole object to PostgreSQL to be parsed and compared.
     */
    rawHash: p.string().length(40).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Subscription extends SubscriptionSchema.class {}
SubscriptionSchema.setClass(Subscription);

/** A line of a subscription: one price, its quantity (none for metered prices) and its period. */
export const SubscriptionItemSchema = defineEntity({
  name: 'SubscriptionItem',
  tableName: 'subscription_items',
  indexes: [{ name: 'subscription_items_price_index', properties: ['priceId'] }],
  properties: {
    id: p.string().length(255).primary(),
    subscriptionId: p.string().length(255).index('subscription_items_subscription_index'),
    priceId: p.string().length(255),
    productId: p.string().length(255),
    quantity: p.integer().nullable(),
    usageType: p.enum(USAGE_TYPES),
    currentPeriodStart: p.datetime().nullable(),
    currentPeriodEnd: p.datetime().nullable(),
  },
});
export class SubscriptionItem extends SubscriptionItemSchema.class {}
SubscriptionItemSchema.setClass(SubscriptionItem);

/** Mirror of a Stripe invoice of a subscription. */
export const InvoiceSchema = defineEntity({
  name: 'Invoice',
  tableName: 'invoices',
  properties: {
    id: p.string().length(255).primary(),
    stripeAccount: p.string().length(64),
    subscriptionId: p.string().length(255).nullable().index('invoices_subscription_index'),
    customerId: p.string().length(255),
    status: p.string().length(32).nullable(),
    billingReason: p.string().length(64).nullable(),
    currency: p.string().length(3),
    amountDue: p.bigint('number'),
    amountPaid: p.bigint('number'),
    amountRemaining: p.bigint('number'),
    total: p.bigint('number'),
    hostedInvoiceUrl: p.text().nullable(),
    periodStart: p.datetime().nullable(),
    periodEnd: p.datetime().nullable(),
    attemptCount: p.integer().default(0),
    nextPaymentAttempt: p.datetime().nullable(),
    stripeCreated: p.datetime(),
    stripeVersion: p.bigint('number').default(0),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Invoice extends InvoiceSchema.class {}
InvoiceSchema.setClass(Invoice);

/**
 * A platform-managed trial (the freee app store does not use Stripe trials): features of the
 * price's product until `endsAt`, at most one per account and application.
 */
export const TrialSchema = defineEntity({
  name: 'Trial',
  tableName: 'trials',
  uniques: [{ name: 'trials_account_application_unique', properties: ['accountId', 'applicationId'] }],
  indexes: [{ name: 'trials_ends_at_index', properties: ['endsAt'] }],
  properties: {
    id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
    accountId: p.string().length(255),
    applicationId: p.string().length(64),
    stripeAccount: p.string().length(64),
    stripeCustomerId: p.string().length(255).nullable(),
    priceId: p.string().length(255),
    productId: p.string().length(255),
    quantity: p.integer(),
    startsAt: p.datetime(),
    endsAt: p.datetime(),
    /** Set when the trial was ended (expired, or replaced by a paid subscription). */
    endedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class Trial extends TrialSchema.class {}
TrialSchema.setClass(Trial);
