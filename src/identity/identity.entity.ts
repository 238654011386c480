import { defineEntity, p } from '@mikro-orm/core';

/**
 * Subscription Identity: which Stripe customer stands for an account on one Stripe account
 * (the platform, or a connected account for direct charges).
 */
export const IdentitySchema = defineEntity({
  name: 'Identity',
  tableName: 'identities',
  uniques: [
    { name: 'identities_account_stripe_account_unique', properties: ['accountId', 'stripeAccount'] },
    { name: 'identities_customer_unique', properties: ['stripeAccount', 'stripeCustomerId'] },
  ],
  properties: {
    id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
    accountId: p.string().length(255),
    /** `platform` or the connected account's `acct_...`. */
    stripeAccount: p.string().length(64),
    stripeCustomerId: p.string().length(255),
    email: p.string().length(512).nullable(),
    name: p.string().length(512).nullable(),
    /** Set when Stripe reports the customer deleted. */
    deletedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Identity extends IdentitySchema.class {}
IdentitySchema.setClass(Identity);
