import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { bearerToken } from '../infra/auth/principal.js';
import { AppError } from '../infra/errors/app-error.js';
import { AuthFailures } from '../infra/throttling/auth-failures.js';
import { PartnerKeysService } from '../tenancy/partner-keys.service.js';
import type { AuthenticatedRequest } from './request.js';

/**
 * Partner routes `/api/applications/:application_id/...`: an API key of that very application,
 * sent as "Authorization: Bearer <key>" or "X-Api-Key: <key>". An unknown key counts as a failed
 * attempt of the caller's address; too many lock it out (AuthFailures).
 */
@Injectable()
export class PartnerKeyGuard implements CanActivate {
  constructor(
    private readonly keys: PartnerKeysService,
    private readonly failures: AuthFailures,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.authenticate(context.switchToHttp().getRequest<AuthenticatedRequest & { ip: string }>());
    return true;
  }

  /** The guard's whole rule, also called by the routes served outside Nest's pipeline (fast routes). */
  async authenticate(req: AuthenticatedRequest & { ip: string }): Promise<void> {
    await this.failures.assertNotLockedOut(req.ip);
    const header = req.headers['x-api-key'];
    const key = bearerToken(req.headers) ?? (typeof header === 'string' ? header.trim() : undefined);
    if (!key) throw AppError.unauthorized('missing_api_key', 'Send the application API key as "Authorization: Bearer <key>".');
    const partner = await this.keys.verifyApiKey(key).catch(async (error: unknown) => {
      if (error instanceof AppError && error.code === 'invalid_api_key') await this.failures.recordFailure(req.ip);
      throw error;
    });
    const applicationId = req.params.application_id;
    if (applicationId !== undefined && applicationId !== partner.applicationId) {
      throw AppError.forbidden('api_key_wrong_application', 'This API key belongs to another application.');
    }
    req.partner = partner;
  }
}
