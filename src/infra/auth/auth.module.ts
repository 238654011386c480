import { Global, Module } from '@nestjs/common';
import { TenancyModule } from '../../tenancy/tenancy.module.js';
import { AccountTokenVerifier } from './account-token.verifier.js';
import { AccountGuard } from './account.guard.js';
import { AdminGuard } from './admin.guard.js';
import { PartnerKeyGuard } from './partner-key.guard.js';

@Global()
@Module({
  imports: [TenancyModule],
  providers: [AccountTokenVerifier, AccountGuard, PartnerKeyGuard, AdminGuard],
  exports: [TenancyModule, AccountTokenVerifier, AccountGuard, PartnerKeyGuard, AdminGuard],
})
export class AuthModule {}
