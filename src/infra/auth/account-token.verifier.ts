import { createSecretKey, KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { isStorableText } from '../database/storable-text.js';
import { AppError } from '../errors/app-error.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AccountPrincipal } from './principal.js';

/**
 * Verifies account JWTs: HS256 with JWT_SECRET, or RS256/ES256 with keys from JWT_JWKS_URL
 * (fetched and cached by jose, refreshed when an unknown `kid` appears).
 */
const MAX_CACHED_TOKENS = 10_000;
const MAX_ACCOUNT_ID_LENGTH = 255;

@Injectable()
export class AccountTokenVerifier {
  private readonly key: KeyObject | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (config.JWT_JWKS_URL) {
      this.key = createRemoteJWKSet(new URL(config.JWT_JWKS_URL), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
      this.algorithms = ['RS256', 'ES256'];
    } else {
      // A key object made once: given raw bytes, jose would import the key again on every request.
      this.key = createSecretKey(Buffer.from(config.JWT_SECRET, 'utf8'));
      this.algorithms = ['HS256'];
    }
  }

  /**
   * Tokens already verified, until they expire (at most a minute): a client sends the same token on
   * every call of a page, and an HS256/RS256 check through WebCrypto costs more than the rest of a
   * features request. The key is the whole token, signature included, so a hit proves nothing less.
   */
  private readonly verified = new Map<string, { principal: AccountPrincipal; until: number }>();

  async verify(token: string): Promise<AccountPrincipal> {
    const hit = this.verified.get(token);
    if (hit && hit.until > Date.now()) return hit.principal;
    if (hit) this.verified.delete(token);
    const principal = await this.verifyUncached(token);
    if (this.verified.size >= MAX_CACHED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    return principal;
  }

  private async verifyUncached(token: string): Promise<AccountPrincipal> {
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: this.algorithms,
        // jose accepts a token without exp as valid forever; a bearer token must expire.
        requiredClaims: ['exp'],
        ...(this.config.JWT_ISSUER ? { issuer: this.config.JWT_ISSUER } : {}),
        ...(this.config.JWT_AUDIENCE ? { audience: this.config.JWT_AUDIENCE } : {}),
      };
      ({ payload } =
        this.key instanceof KeyObject ? await jwtVerify(token, this.key, options) : await jwtVerify(token, this.key, options));
    } catch (error) {
      throw this.toAuthError(error);
    }
    const accountId = payload[this.config.JWT_ACCOUNT_CLAIM];
    if (typeof accountId !== 'string' || accountId.trim() === '') {
      throw AppError.unauthorized('missing_account_claim', `The token has no "${this.config.JWT_ACCOUNT_CLAIM}" claim naming the account.`);
    }
    // The account id is stored (identities, subscriptions, Stripe metadata): text of at most 255 characters.
    if (accountId.length > MAX_ACCOUNT_ID_LENGTH || !isStorableText(accountId)) {
      throw AppError.unauthorized('invalid_account_claim', `The token's "${this.config.JWT_ACCOUNT_CLAIM}" claim must be text of at most ${MAX_ACCOUNT_ID_LENGTH} characters, without NUL or unpaired surrogates.`);
    }
    const roles = toRoles(payload[this.config.JWT_ROLE_CLAIM]);
    const app = payload[this.config.JWT_APPLICATION_CLAIM];
    const principal: AccountPrincipal = {
      accountId,
      roles,
      isOwner: roles.includes(this.config.JWT_OWNER_ROLE),
      ...(typeof app === 'string' && app !== '' ? { applicationClaim: app } : {}),
      ...(typeof payload.sub === 'string' && payload.sub !== '' ? { subject: payload.sub.slice(0, 255) } : {}),
    };
    const expiresAt = typeof payload.exp === 'number' ? payload.exp * 1000 : Date.now();
    this.verified.set(token, { principal, until: Math.min(expiresAt, Date.now() + 60_000) });
    return principal;
  }

  private toAuthError(error: unknown): AppError {
    if (error instanceof errors.JWTExpired) return AppError.unauthorized('token_expired', 'The token has expired.');
    if (error instanceof errors.JWKSTimeout || error instanceof errors.JOSEError && error.code === 'ERR_JWKS_INVALID') {
      return AppError.unauthorized('invalid_token', 'The token could not be checked against the key set.');
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      return AppError.unauthorized('invalid_token', error.reason === 'missing' ? `The token has no "${error.claim}" claim.` : `The token's "${error.claim}" claim is not accepted.`);
    }
    return AppError.unauthorized('invalid_token', 'The token is not valid.');
  }
}

function toRoles(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}
