import { defineEntity, p } from '@mikro-orm/core';

/** How a price is billed: per seat (`licensed`) or by reported usage (`metered`). */
export const USAGE_TYPES = ['licensed', 'metered'] as const;
export type UsageType = (typeof USAGE_TYPES)[number];

/** Mirror of a Stripe product. */
export const ProductSchema = defineEntity({
  name: 'Product',
  tableName: 'products',
  properties: {
    id: p.string().length(255).primary(),
    stripeAccount: p.string().length(64).index('products_stripe_account_index'),
    name: p.string().length(512),
    description: p.text().nullable(),
    active: p.boolean(),
    metadata: p.json<Record<string, string>>().default('{}'),
    deleted: p.boolean().default(false),
    stripeVersion: p.bigint('number').default(0),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Product extends ProductSchema.class {}
ProductSchema.setClass(Product);

/** Mirror of a Stripe price. */
export const PriceSchema = defineEntity({
  name: 'Price',
  tableName: 'prices',
  indexes: [{ name: 'prices_lookup_key_index', properties: ['stripeAccount', 'lookupKey'] }],
  properties: {
    id: p.string().length(255).primary(),
    stripeAccount: p.string().length(64),
    productId: p.string().length(255).index('prices_product_index'),
    active: p.boolean(),
    currency: p.string().length(3),
    unitAmount: p.bigint('number').nullable(),
    /** month | year | week | day; null for one-time prices. */
    interval: p.string().length(8).nullable(),
    intervalCount: p.integer().nullable(),
    usageType: p.enum(USAGE_TYPES).nullable(),
    lookupKey: p.string().length(255).nullable(),
    nickname: p.string().length(255).nullable(),
    taxBehavior: p.string().length(16).nullable(),
    metadata: p.json<Record<string, string>>().default('{}'),
    deleted: p.boolean().default(false),
    stripeVersion: p.bigint('number').default(0),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Price extends PriceSchema.class {}
PriceSchema.setClass(Price);

/** Mirror of a Stripe Entitlements feature (`feat_...`). */
export const FeatureSchema = defineEntity({
  name: 'Feature',
  tableName: 'features',
  properties: {
    id: p.string().length(255).primary(),
    stripeAccount: p.string().length(64),
    lookupKey: p.string().length(255),
    name: p.string().length(512),
    active: p.boolean().default(true),
    metadata: p.json<Record<string, string>>().default('{}'),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Feature extends FeatureSchema.class {}
FeatureSchema.setClass(Feature);

/** Mirror of a Stripe product feature: the product grants the feature. */
export const ProductFeatureSchema = defineEntity({
  name: 'ProductFeature',
  tableName: 'product_features',
  uniques: [{ name: 'product_features_product_feature_unique', properties: ['productId', 'featureId'] }],
  properties: {
    id: p.string().length(255).primary(),
    stripeAccount: p.string().length(64),
    productId: p.string().length(255),
    featureId: p.string().length(255).index('product_features_feature_index'),
  },
});
export class ProductFeature extends ProductFeatureSchema.class {}
ProductFeatureSchema.setClass(ProductFeature);

/** A customer's active entitlement as Stripe reports it (Stripe Entitlements). */
export const ActiveEntitlementSchema = defineEntity({
  name: 'ActiveEntitlement',
  tableName: 'active_entitlements',
  uniques: [{ name: 'active_entitlements_customer_feature_unique', properties: ['stripeAccount', 'customerId', 'featureId'] }],
  properties: {
    id: p.string().length(255).primary(),
    stripeAccount: p.string().length(64),
    customerId: p.string().length(255),
    featureId: p.string().length(255),
    lookupKey: p.string().length(255),
    /** Stripe time of the summary this row came from (ordering marker). */
    stripeVersion: p.bigint('number').default(0),
  },
});
export class ActiveEntitlement extends ActiveEntitlementSchema.class {}
ActiveEntitlementSchema.setClass(ActiveEntitlement);

/**
 * The Stripe time of the newest active-entitlement summary applied for a customer, kept apart from
 * the entitlement rows because a customer with no entitlements has no rows to carry it.
 */
export const EntitlementSummarySchema = defineEntity({
  name: 'EntitlementSummary',
  tableName: 'entitlement_summaries',
  primaryKeys: ['stripeAccount', 'customerId'],
  properties: {
    stripeAccount: p.string().length(64).primary(),
    customerId: p.string().length(255).primary(),
    stripeVersion: p.bigint('number'),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class EntitlementSummary extends EntitlementSummarySchema.class {}
EntitlementSummarySchema.setClass(EntitlementSummary);
