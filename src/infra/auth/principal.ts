/** Who is calling with an account token. */
export interface AccountPrincipal {
  accountId: string;
  roles: string[];
  isOwner: boolean;
  /** The application the token names in its `app` claim, if any. */
  applicationClaim?: string;
  /** The token's `sub` claim (the person or system acting for the account), for the audit trail. */
  subject?: string;
}

/** A partner application's API key, once verified. */
export interface PartnerPrincipal {
  keyId: string;
  applicationId: string;
}

/** The bearer token of an `Authorization: Bearer <token>` header. */
export function bearerToken(headers: Record<string, string | string[] | undefined>): string | undefined {
  const value = headers.authorization;
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}
