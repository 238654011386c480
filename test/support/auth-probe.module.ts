import { Controller, Get, HttpCode, Module, Post, UseGuards } from '@nestjs/common';
import type { AccountContext } from '../../src/auth/account-context.js';
import { AccountGuard } from '../../src/auth/account.guard.js';
import { CurrentAccount, CurrentPartner } from '../../src/auth/decorators.js';
import { PartnerKeyGuard } from '../../src/auth/partner-key.guard.js';
import { AdminGuard } from '../../src/infra/auth/admin.guard.js';
import { OwnerOnly } from '../../src/infra/auth/owner-only.js';
import type { PartnerPrincipal } from '../../src/infra/auth/principal.js';

/**
 * Test-only routes behind each guard, so the guards can be exercised over real HTTP on their own.
 * Each answers with what the guard resolved.
 */
@Controller('probe')
export class AuthProbeController {
  @Get('accounts/:account_id')
  @UseGuards(AccountGuard)
  account(@CurrentAccount() account: AccountContext) {
    return { account_id: account.accountId, roles: account.roles, is_owner: account.isOwner, application_id: account.application.id };
  }

  @Post('accounts/:account_id/mutate')
  @HttpCode(200)
  @UseGuards(AccountGuard)
  @OwnerOnly()
  mutate(@CurrentAccount() account: AccountContext) {
    return { account_id: account.accountId, application_id: account.application.id, mutated: true };
  }

  @Get('me')
  @UseGuards(AccountGuard)
  me(@CurrentAccount() account: AccountContext) {
    return { account_id: account.accountId, application_id: account.application.id };
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
