import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import type { AccountPrincipal } from '../infra/auth/principal.js';
import { AppError } from '../infra/errors/app-error.js';
import type { Application } from '../tenancy/application.entity.js';
import { Merchant } from '../tenancy/merchant.entity.js';
import type { AccountContext } from './account-context.js';

/** Completes what the guard resolved (account, application) with the application's merchant. */
@Injectable()
export class AccountContextResolver {
  constructor(private readonly em: EntityManager) {}

  async resolve(account: AccountPrincipal | undefined, application: Application | undefined): Promise<AccountContext> {
    if (!account || !application) throw AppError.unauthorized('missing_token', 'An account token is required.');
    const merchant = await this.em.fork().findOne(Merchant, application.merchant.id);
    if (!merchant) throw AppError.notFound('merchant_not_found', 'The application has no merchant.');
    return { accountId: account.accountId, application, merchant };
  }
}
