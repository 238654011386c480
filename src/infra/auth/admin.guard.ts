import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AppError } from '../errors/app-error.js';
import { bearerToken } from './principal.js';

/** Admin routes: "Authorization: Bearer <ADMIN_TOKEN>", compared in constant time. */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.expected = digest(config.ADMIN_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    const token = bearerToken(context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers);
    if (!token) throw AppError.unauthorized('missing_token', 'Send the admin token as "Authorization: Bearer <token>".');
    if (!timingSafeEqual(digest(token), this.expected)) throw AppError.unauthorized('invalid_admin_token', 'The admin token is not valid.');
    return true;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();
