import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Application } from '../../tenancy/application.entity.js';
import type { AccountPrincipal, AuthenticatedRequest, PartnerPrincipal } from './principal.js';

export const OWNER_ONLY = 'auth:owner-only';
/** The handler changes billing: only a token with the owner role may call it. */
export const OwnerOnly = () => SetMetadata(OWNER_ONLY, true);

const fromRequest = <T>(pick: (req: AuthenticatedRequest) => T) =>
  createParamDecorator((_data: unknown, ctx: ExecutionContext) => pick(ctx.switchToHttp().getRequest<AuthenticatedRequest>()));

/** The account of the verified token. */
export const CurrentAccount = fromRequest<AccountPrincipal | undefined>((req) => req.account);
/** The application the request is for (token claim, X-Application-Id, or the default). */
export const CurrentApplication = fromRequest<Application | undefined>((req) => req.application);
/** The verified partner API key. */
export const CurrentPartner = fromRequest<PartnerPrincipal | undefined>((req) => req.partner);
