import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AppError } from '../errors/app-error.js';
import { AuthFailures } from '../throttling/auth-failures.js';
import { bearerToken } from './principal.js';

/**
 * Admin routes: "Authorization: Bearer <ADMIN_TOKEN>", compared in constant time. A wrong token
 * counts as a failed attempt of the caller's address; too many lock it out (AuthFailures).
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly failures: AuthFailures,
  ) {
    this.expected = digest(config.ADMIN_TOKEN);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<{ ip: string; headers: Record<string, string | string[] | undefined> }>();
    await this.failures.assertNotLockedOut(req.ip);
    const token = bearerToken(req.headers);
    if (!token) throw AppError.unauthorized('missing_token', 'Send the admin token as "Authorization: Bearer <token>".');
    if (!timingSafeEqual(digest(token), this.expected)) {
      await this.failures.recordFailure(req.ip);
      throw AppError.unauthorized('invalid_admin_token', 'The admin token is not valid.');
    }
    return true;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();
