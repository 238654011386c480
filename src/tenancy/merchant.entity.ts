import { defineEntity, p } from '@mikro-orm/core';
import { CHARGE_MODELS } from '../infra/stripe/accounts.js';

export const MERCHANT_STATUSES = ['active', 'deauthorized'] as const;
export type MerchantStatus = (typeof MERCHANT_STATUSES)[number];

/**
 * A Stripe account that sells: the platform itself (`platform`), or a connected account whose
 * objects live on it (`direct`, calls carry Stripe-Account) or on the platform with money routed
 * to it (`destination`, transfer_data[destination] + application_fee_percent).
 */
export const MerchantSchema = defineEntity({
  name: 'Merchant',
  tableName: 'merchants',
  properties: {
    id: p.string().length(64).primary(),
    displayName: p.string().length(200),
    /** `acct_...` of the connected account; null for the platform merchant. */
    stripeAccountId: p.string().length(64).nullable().unique('merchants_stripe_account_id_unique'),
    chargeModel: p.enum(CHARGE_MODELS),
    /** Platform fee on destination/direct charges, 0..100. */
    applicationFeePercent: p.decimal('number').precision(5).scale(2).nullable(),
    country: p.string().length(2).default('JP'),
    defaultCurrency: p.string().length(3).default('jpy'),
    status: p.enum(MERCHANT_STATUSES).default('active'),
    deauthorizedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Merchant extends MerchantSchema.class {}
MerchantSchema.setClass(Merchant);
