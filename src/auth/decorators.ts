import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { PartnerPrincipal } from '../infra/auth/principal.js';
import { AppError } from '../infra/errors/app-error.js';
import type { AccountContext } from './account-context.js';
import type { AuthenticatedRequest } from './request.js';

const fromRequest = <T>(name: string, pick: (req: AuthenticatedRequest) => T | undefined) =>
  createParamDecorator((_data: unknown, ctx: ExecutionContext): T => {
    const value = pick(ctx.switchToHttp().getRequest<AuthenticatedRequest>());
    // A handler reading what its guard did not resolve is a wiring mistake, not a client's: say which.
    if (value === undefined) throw new AppError(500, 'internal_error', `${name} read on a route without its guard.`);
    return value;
  });

/** The account, application and merchant the AccountGuard resolved. */
export const CurrentAccount = fromRequest<AccountContext>('CurrentAccount', (req) => req.accountContext);
/** The partner API key the PartnerKeyGuard verified. */
export const CurrentPartner = fromRequest<PartnerPrincipal>('CurrentPartner', (req) => req.partner);
