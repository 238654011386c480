import { SignJWT, type JWTPayload } from 'jose';
import type { AppConfig } from '../infra/config/config.js';

export interface DevTokenRequest {
  acc: string;
  roles: string[];
  app?: string;
  /** Lifetime in seconds. */
  ttl: number;
  claims?: Record<string, unknown>;
}

/**
 * An HS256 account token signed with JWT_SECRET, with the claim names, issuer and audience the
 * service is configured for: what `npm run token` prints and what the fixture command uses to act
 * as a company. For local use only (the scripts refuse production and JWKS set-ups).
 */
export function mintDevToken(config: AppConfig, request: DevTokenRequest): Promise<string> {
  const payload: JWTPayload = {
    ...(config.JWT_ISSUER ? { iss: config.JWT_ISSUER } : {}),
    ...(config.JWT_AUDIENCE ? { aud: config.JWT_AUDIENCE } : {}),
    ...request.claims,
    [config.JWT_ACCOUNT_CLAIM]: request.acc,
    ...(request.roles.length > 0 ? { [config.JWT_ROLE_CLAIM]: request.roles.length === 1 ? request.roles[0] : request.roles } : {}),
    ...(request.app ? { [config.JWT_APPLICATION_CLAIM]: request.app } : {}),
  };
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + request.ttl)
    .sign(new TextEncoder().encode(config.JWT_SECRET));
}
