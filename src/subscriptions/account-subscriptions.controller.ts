import { Body, Controller, Get, Headers, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import { AccountGuard } from '../infra/auth/account.guard.js';
import { CurrentAccount, CurrentApplication, OwnerOnly } from '../infra/auth/decorators.js';
import type { AccountPrincipal } from '../infra/auth/principal.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import type { Application } from '../tenancy/application.entity.js';
import { CancelSubscriptionWithIdDto, ChangeSubscriptionWithIdDto, CreateCheckoutSessionDto, CreatePortalSessionDto, StartTrialDto, SyncCheckoutSessionDto, SyncQuery } from './subscriptions.dto.js';
import { SubscriptionsDocs } from './subscriptions.api-docs.js';
import { SubscriptionsFacade } from './subscriptions.facade.js';
import { IsString, Matches } from 'class-validator';
import { ApiProperty } from '@nestjs/swagger';

class ResumeWithIdDto {
  @ApiProperty({ example: 'sub_1MowQVLkdIwHu7ixeRlqHVzs' })
  @IsString() @Matches(/^sub_\w{1,250}$/, { message: '$property must be a subscription id (sub_...)' })
  subscription_id!: string;
}

const docs = SubscriptionsDocs('accountSubscriptions');

/** AM's account-scoped routes: the token's `acc` must be `:account_id`. */
@ApiTags('subscriptions (account-scoped)')
@ApiBearerAuth(AUTH_SCHEMES.account)
@ApiParam({ name: 'account_id', example: 'ACME' })
@UseGuards(AccountGuard)
@Controller('api/accounts/:account_id/subscriptions')
export class AccountScopedSubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsFacade) {}

  @Get() @docs.list()
  list(@CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.list(account, app);
  }

  @Get('features') @docs.features()
  features(@CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.featureList(account, app);
  }

  @Get('identity') @docs.identity()
  identity(@CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.identity(account, app);
  }

  @Get('merchants') @docs.merchants()
  merchants(@CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.merchants(account, app);
  }

  @Get('trial') @docs.trial()
  trial(@CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.trial(account, app);
  }

  @Post('stripe/checkout-session') @HttpCode(200) @OwnerOnly() @docs.createCheckoutSession()
  createCheckoutSession(@Body() dto: CreateCheckoutSessionDto, @Headers('idempotency-key') key?: string, @CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.createCheckoutSession(account, app, dto, key);
  }

  @Post('stripe/portal-session') @HttpCode(200) @OwnerOnly() @docs.createPortalSession()
  createPortalSession(@Body() dto: CreatePortalSessionDto, @CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.createPortalSession(account, app, dto.return_url);
  }

  @Post('stripe/checkout-session-sync') @HttpCode(200) @OwnerOnly() @docs.syncCheckoutSession()
  syncCheckoutSession(@Body() dto: SyncCheckoutSessionDto, @CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.syncCheckoutSession(account, app, dto.session_id);
  }

  @Post('sync') @HttpCode(200) @OwnerOnly() @docs.sync()
  sync(@Query() query: SyncQuery, @CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.sync(account, app, query.allow_deletes ?? false);
  }

  @Post('change') @HttpCode(200) @OwnerOnly() @docs.change()
  change(@Body() dto: ChangeSubscriptionWithIdDto, @Headers('idempotency-key') key?: string, @CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    const { subscription_id, ...change } = dto;
    return this.subscriptions.change(account, app, subscription_id, change, key);
  }

  @Post('cancel') @HttpCode(200) @OwnerOnly() @docs.cancel()
  cancel(@Body() dto: CancelSubscriptionWithIdDto, @Headers('idempotency-key') key?: string, @CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.cancel(account, app, dto.subscription_id, dto.timing, key);
  }

  @Post('resume') @HttpCode(200) @OwnerOnly() @docs.resume()
  resume(@Body() dto: ResumeWithIdDto, @Headers('idempotency-key') key?: string, @CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.resume(account, app, dto.subscription_id, key);
  }

  @Post('trial') @HttpCode(200) @OwnerOnly() @docs.startTrial()
  startTrial(@Body() dto: StartTrialDto, @CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.startTrial(account, app, dto);
  }
}
