import { defineEntity, p } from '@mikro-orm/core';
import { Merchant } from './merchant.entity.js';

/** The application's past_due grace when it sets none (DESIGN.md: 7 days after the first failed payment). */
export const DEFAULT_GRACE_DAYS = 7;

/**
 * An app that is sold, through one merchant. Holds what the sale of it may do: which prices may be
 * bought (`application_prices`), where the browser may be sent back to, and its access policy.
 */
export const ApplicationSchema = defineEntity({
  name: 'Application',
  tableName: 'applications',
  properties: {
    id: p.string().length(64).primary(),
    name: p.string().length(200),
    merchant: () => p.manyToOne(Merchant).ref(),
    /** Origins (scheme://host[:port]) that success, cancel and return URLs may point at. */
    allowedOrigins: p.json<string[]>().default('[]'),
    /** Whether an account may hold two live subscriptions to the same product. */
    allowMultipleSubscriptionsPerProduct: p.boolean().default(false),
    /** Days a past_due subscription keeps access after the first failed payment. */
    pastDueGraceDays: p.integer().default(DEFAULT_GRACE_DAYS),
    /** Length of a platform-managed trial. */
    trialDays: p.integer().default(14),
    /** Settings of an immediate cancellation (Stripe's invoice_now / prorate). */
    cancelInvoiceNow: p.boolean().default(false),
    cancelProrate: p.boolean().default(false),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Application extends ApplicationSchema.class {}
ApplicationSchema.setClass(Application);

/** The application's catalog: a price that may be bought through it. */
export const ApplicationPriceSchema = defineEntity({
  name: 'ApplicationPrice',
  tableName: 'application_prices',
  uniques: [{ name: 'application_prices_application_price_unique', properties: ['application', 'stripePriceId'] }],
  properties: {
    id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
    application: () => p.manyToOne(Application).ref().deleteRule('cascade'),
    stripePriceId: p.string().length(255),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class ApplicationPrice extends ApplicationPriceSchema.class {}
ApplicationPriceSchema.setClass(ApplicationPrice);

/**
 * A Stripe webhook signing secret of the application. Kept as given (verification needs the key
 * itself); several can be current while a rotated one overlaps with its successor.
 */
export const WebhookSecretSchema = defineEntity({
  name: 'WebhookSecret',
  tableName: 'webhook_secrets',
  properties: {
    id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
    application: () => p.manyToOne(Application).ref().deleteRule('cascade').index('webhook_secrets_application_index'),
    secret: p.string().length(255).hidden(),
    createdAt: p.datetime().onCreate(() => new Date()),
    /** Null while it is the newest; set to the end of the overlap when a successor replaces it. */
    expiresAt: p.datetime().nullable(),
  },
});
export class WebhookSecret extends WebhookSecretSchema.class {}
WebhookSecretSchema.setClass(WebhookSecret);

/** A partner application's API key: shown once, stored as a SHA-256 hash. */
export const PartnerApiKeySchema = defineEntity({
  name: 'PartnerApiKey',
  tableName: 'partner_api_keys',
  properties: {
    id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
    application: () => p.manyToOne(Application).ref().deleteRule('cascade').index('partner_api_keys_application_index'),
    name: p.string().length(200),
    /** The first characters, so that a person can tell keys apart. */
    prefix: p.string().length(32),
    keyHash: p.string().length(64).unique('partner_api_keys_key_hash_unique').hidden(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});
export class PartnerApiKey extends PartnerApiKeySchema.class {}
PartnerApiKeySchema.setClass(PartnerApiKey);
