import type { Application } from '../tenancy/application.entity.js';
import type { Merchant } from '../tenancy/merchant.entity.js';
import { PLATFORM_ACCOUNT } from '../identity/identity.entity.js';

/** Who a subscriptions request is for: the account (from the token), its application and that application's merchant. */
export interface AccountContext {
  accountId: string;
  application: Application;
  merchant: Merchant;
}

/** The Stripe account where the merchant's customers and subscriptions live: its own for direct charges, the platform's otherwise. */
export function stripeAccountOf(merchant: Pick<Merchant, 'chargeModel' | 'stripeAccountId'>): string {
  return merchant.chargeModel === 'direct' && merchant.stripeAccountId ? merchant.stripeAccountId : PLATFORM_ACCOUNT;
}
