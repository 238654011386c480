import { Controller, Get, HttpCode, Module, Post, UseGuards } from '@nestjs/common';
import { AccountGuard } from '../../src/infra/auth/account.guard.js';
import { AdminGuard } from '../../src/infra/auth/admin.guard.js';
import { CurrentAccount, CurrentApplication, CurrentPartner, OwnerOnly } from '../../src/infra/auth/decorators.js';
import { PartnerKeyGuard } from '../../src/infra/auth/partner-key.guard.js';
import type { AccountPrincipal, PartnerPrincipal } from '../../src/infra/auth/principal.js';
import type { Application } from '../../src/tenancy/application.entity.js';

/**
 * Test-only routes behind each guard, so the guards can be exercised over real HTTP before the
 * real account and partner routes exist. Each answers with what the guard resolved.
 */
@Controller('probe')
export class AuthProbeController {
  @Get('accounts/:account_id')
  @UseGuards(AccountGuard)
  account(@CurrentAccount() account: AccountPrincipal, @CurrentApplication() application: Application) {
    return { account_id: account.accountId, roles: account.roles, is_owner: account.isOwner, application_id: application.id };
  }

  @Post('accounts/:account_id/mutate')
  @HttpCode(200)
  @UseGuards(AccountGuard)
  @OwnerOnly()
  mutate(@CurrentAccount() account: AccountPrincipal, @CurrentApplication() application: Application) {
    return { account_id: account.accountId, application_id: application.id, mutated: true };
  }

  @Get('me')
  @UseGuards(AccountGuard)
  me(@CurrentAccount() account: AccountPrincipal, @CurrentApplication() application: Application) {
    return { account_id: account.accountId, application_id: application.id };
  }

  @Get('applications/:application_id/partner')
  @UseGuards(PartnerKeyGuard)
  partner(@CurrentPartner() partner: PartnerPrincipal) {
    return { application_id: partner.applicationId, key_id: partner.keyId };
  }

  @Get('admin')
  @UseGuards(AdminGuard)
  admin() {
    return { admin: true };
  }
}

@Module({ controllers: [AuthProbeController] })
export class AuthProbeModule {}
