import { Global, Module } from '@nestjs/common';
import { AccountTokenVerifier } from '../infra/auth/account-token.verifier.js';
import { AdminGuard } from '../infra/auth/admin.guard.js';
import { TenancyModule } from '../tenancy/tenancy.module.js';
import { AccountGuard } from './account.guard.js';
import { PartnerKeyGuard } from './partner-key.guard.js';

/**
 * Who is calling: account tokens, partner API keys, the admin token. It sits above tenancy (the
 * account and partner guards resolve applications, merchants and keys through it); the parts that
 * need no domain module (token verification, the admin guard) live in infra/auth.
 */
@Global()
@Module({
  imports: [TenancyModule],
  providers: [AccountTokenVerifier, AccountGuard, PartnerKeyGuard, AdminGuard],
  exports: [TenancyModule, AccountTokenVerifier, AccountGuard, PartnerKeyGuard, AdminGuard],
})
export class AuthModule {}
