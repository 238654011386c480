import { Controller, Get, UseGuards } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AccountContext } from '../auth/account-context.js';
import { AccountGuard } from '../auth/account.guard.js';
import { CurrentAccount } from '../auth/decorators.js';
import { ReadYourWrites } from '../infra/database/read-your-writes.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { stripeAccountOf } from '../infra/stripe/accounts.js';
import { ApplicationsService } from '../tenancy/applications.service.js';
import { AccountReadsDocs } from './account-reads.api-docs.js';
import type { AccountView, CatalogResponse, InvoiceListResponse } from './account-reads.dto.js';
import { AccountReadsRepository } from './account-reads.repository.js';

/**
 * Read-only routes for an account's billing page (the one the service serves at /billing, or a
 * client app's own): what the application sells, the account's invoices, and who the token is.
 * Any role may read them; every answer comes from PostgreSQL, never from Stripe.
 */
@ApiTags('subscriptions')
@ApiBearerAuth(AUTH_SCHEMES.account)
@UseGuards(AccountGuard)
@Controller('api/subscriptions')
export class AccountReadsController {
  constructor(
    private readonly em: EntityManager,
    private readonly applications: ApplicationsService,
    private readonly reads: AccountReadsRepository,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  @Get('catalog') @AccountReadsDocs.catalog()
  async catalog(@CurrentAccount() ctx: AccountContext): Promise<CatalogResponse> {
    const priceIds = await this.applications.catalogPriceIds(ctx.application.id);
    return { data: await this.reads.catalog(this.em.fork(), priceIds, stripeAccountOf(ctx.merchant), this.readYourWrites.targetFor(ctx.accountId)) };
  }

  @Get('invoices') @AccountReadsDocs.invoices()
  async invoices(@CurrentAccount() ctx: AccountContext): Promise<InvoiceListResponse> {
    return { data: await this.reads.invoices(this.em.fork(), ctx.accountId, ctx.application.id, this.readYourWrites.targetFor(ctx.accountId)) };
  }

  @Get('account') @AccountReadsDocs.account()
  account(@CurrentAccount() ctx: AccountContext): AccountView {
    return { account_id: ctx.accountId, application_id: ctx.application.id, roles: ctx.roles, is_owner: ctx.isOwner };
  }
}
