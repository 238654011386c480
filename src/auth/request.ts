import type { PartnerPrincipal } from '../infra/auth/principal.js';
import type { AccountContext } from './account-context.js';

/** What the guards attach to the request for the handlers. */
export interface AuthenticatedRequest {
  accountContext?: AccountContext;
  partner?: PartnerPrincipal;
  method: string;
  params: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
}
