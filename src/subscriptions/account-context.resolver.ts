import { Injectable } from '@nestjs/common';
import type { AccountPrincipal } from '../infra/auth/principal.js';
import { AppError } from '../infra/errors/app-error.js';
import type { Application } from '../tenancy/application.entity.js';
import { TenancyService } from '../tenancy/tenancy.service.js';
import type { AccountContext } from './account-context.js';

/** Completes what the guard resolved (account, application) with the application's merchant. */
@Injectable()
export class AccountContextResolver {
  constructor(private readonly tenancy: TenancyService) {}

  async resolve(account: AccountPrincipal | undefined, application: Application | undefined): Promise<AccountContext> {
    if (!account || !application) throw AppError.unauthorized('missing_token', 'An account token is required.');
    const { merchant } = await this.tenancy.getApplicationWithMerchant(application.id);
    return { accountId: account.accountId, application, merchant };
  }
}
