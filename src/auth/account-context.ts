import type { Application } from '../tenancy/application.entity.js';
import type { Merchant } from '../tenancy/merchant.entity.js';

/**
 * Who an account request is for, resolved once by the AccountGuard: the account and its roles
 * (from the verified token), the application the request is for and that application's merchant.
 * Handlers read it with `@CurrentAccount()` and hand it to the services as it is.
 */
export interface AccountContext {
  accountId: string;
  roles: string[];
  isOwner: boolean;
  /** The token's `sub` claim, when it has one (recorded in the audit trail). */
  subject?: string;
  application: Application;
  merchant: Merchant;
}
