import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AccountTokenVerifier } from '../infra/auth/account-token.verifier.js';
import { AdminGuard } from '../infra/auth/admin.guard.js';
import type { AppConfig } from '../infra/config/config.js';
import { APP_CONFIG } from '../infra/config/config.module.js';
import { LimitStore } from '../infra/throttling/limit-store.js';
import { ThrottlingModule } from '../infra/throttling/throttling.module.js';
import { TenancyModule } from '../tenancy/tenancy.module.js';
import { AccountGuard } from './account.guard.js';
import { PartnerKeyGuard } from './partner-key.guard.js';
import { RequestLimitsGuard, requestLimits } from './request-limits.guard.js';

/**
 * Who is calling: account tokens, partner API keys, the admin token, and how often each may call
 * (the request limits, a global guard). It sits above tenancy (the account and partner guards
 * resolve applications, merchants and keys through it); the parts that need no domain module
 * (token verification, the admin guard, the limits' store) live in infra.
 */
@Global()
@Module({
  imports: [
    TenancyModule,
    ThrottlingModule,
    ThrottlerModule.forRootAsync({ inject: [APP_CONFIG, LimitStore], useFactory: (config: AppConfig, store: LimitStore) => requestLimits(config, store) }),
  ],
  // The global guard is also a provider of its own, so that the fast routes (auth/fast-route.ts) count with the same instance.
  providers: [AccountTokenVerifier, AccountGuard, PartnerKeyGuard, AdminGuard, RequestLimitsGuard, { provide: APP_GUARD, useExisting: RequestLimitsGuard }],
  exports: [TenancyModule, AccountTokenVerifier, AccountGuard, PartnerKeyGuard, AdminGuard, RequestLimitsGuard],
})
export class AuthModule {}
