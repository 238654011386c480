import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { AccountTokenVerifier } from '../infra/auth/account-token.verifier.js';
import { OWNER_ONLY } from '../infra/auth/owner-only.js';
import { bearerToken } from '../infra/auth/principal.js';
import type { AppConfig } from '../infra/config/config.js';
import { APP_CONFIG } from '../infra/config/config.module.js';
import { ReadYourWrites } from '../infra/database/read-your-writes.js';
import { AppError } from '../infra/errors/app-error.js';
import { ApplicationsService } from '../tenancy/applications.service.js';
import type { AuthenticatedRequest } from './request.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Account routes: a valid account JWT; on `/accounts/:account_id/...` its account must be that
 * one; `@OwnerOnly()` handlers need the owner role. Resolves the application the request is for:
 * the token's `app` claim, else the X-Application-Id header, else DEFAULT_APPLICATION_ID, and its
 * merchant, and attaches the whole AccountContext once (read by `@CurrentAccount()`).
 */
@Injectable()
export class AccountGuard implements CanActivate {
  constructor(
    private readonly verifier: AccountTokenVerifier,
    private readonly applications: ApplicationsService,
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const ownerOnly = this.reflector.getAllAndOverride<boolean>(OWNER_ONLY, [context.getHandler(), context.getClass()]);
    await this.authenticate(context.switchToHttp().getRequest<AuthenticatedRequest>(), context.switchToHttp().getResponse<FastifyReply>(), ownerOnly);
    return true;
  }

  /** The guard's whole rule, also called by the routes served outside Nest's pipeline (fast routes). */
  async authenticate(req: AuthenticatedRequest, reply: FastifyReply, ownerOnly: boolean | undefined): Promise<void> {
    const token = bearerToken(req.headers);
    if (!token) throw AppError.unauthorized('missing_token', 'Send an account token as "Authorization: Bearer <jwt>".');
    const account = await this.verifier.verify(token);

    const pathAccount = req.params.account_id;
    if (pathAccount !== undefined && pathAccount !== account.accountId) {
      throw AppError.forbidden('account_mismatch', 'The token is for another account.');
    }
    if (ownerOnly && !account.isOwner) {
      throw AppError.forbidden('owner_role_required', `Only the account's owner (role "${this.config.JWT_OWNER_ROLE}") may do this.`);
    }

    const header = req.headers['x-application-id'];
    const headerApp = typeof header === 'string' && header !== '' ? header : undefined;
    if (account.applicationClaim && headerApp && headerApp !== account.applicationClaim) {
      throw AppError.forbidden('application_mismatch', 'X-Application-Id names another application than the token.');
    }
    const applicationId = account.applicationClaim ?? headerApp ?? this.config.DEFAULT_APPLICATION_ID;
    const { application, merchant } = await this.applications.getApplicationWithMerchant(applicationId);
    // A browser says where the page calling us comes from: only the application's own origins may
    // act for its accounts (the CORS preflight let in every application's origins, see auth/cors.ts).
    // Pages the service serves itself (/docs, the billing page) are same-origin and always allowed.
    const origin = req.headers.origin;
    if (typeof origin === 'string' && !application.allowedOrigins.includes(origin) && !isSameOrigin(origin, req.headers.host)) {
      throw AppError.forbidden('origin_not_allowed', `The origin ${origin.slice(0, 200)} is not one of the application's allowed origins.`);
    }
    req.accountContext = { accountId: account.accountId, ...(account.subject ? { subject: account.subject } : {}), roles: account.roles, isOwner: account.isOwner, application, merchant };
    if (!SAFE_METHODS.has(req.method)) {
      // Reads of this account go to the primary from now until a while after the answer (see ReadYourWrites).
      this.readYourWrites.wrote(account.accountId);
      reply.raw.once('finish', () => this.readYourWrites.wrote(account.accountId));
    }
  }
}

function isSameOrigin(origin: string, host: string | string[] | undefined): boolean {
  try {
    return typeof host === 'string' && new URL(origin).host === host;
  } catch {
    return false;
  }
}
