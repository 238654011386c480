import type { Application } from '../../tenancy/application.entity.js';

/** Who is calling with an account token. */
export interface AccountPrincipal {
  accountId: string;
  roles: string[];
  isOwner: boolean;
  /** The application the token names in its `app` claim, if any. */
  applicationClaim?: string;
}

/** A partner application's API key, once verified. */
export interface PartnerPrincipal {
  keyId: string;
  applicationId: string;
}

/** What the guards attach to the request for the handlers. */
export interface AuthenticatedRequest {
  account?: AccountPrincipal;
  application?: Application;
  partner?: PartnerPrincipal;
  params: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
}

export function bearerToken(headers: AuthenticatedRequest['headers']): string | undefined {
  const value = headers.authorization;
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}
