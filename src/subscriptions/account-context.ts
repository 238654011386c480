import type { Application } from '../tenancy/application.entity.js';
import type { Merchant } from '../tenancy/merchant.entity.js';


/** Who a subscriptions request is for: the account (from the token), its application and that application's merchant. */
export interface AccountContext {
  accountId: string;
  application: Application;
  merchant: Merchant;
}
