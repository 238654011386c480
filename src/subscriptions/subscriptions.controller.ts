import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import { AccountGuard } from '../infra/auth/account.guard.js';
import { CurrentAccount, CurrentApplication, OwnerOnly } from '../infra/auth/decorators.js';
import type { AccountPrincipal } from '../infra/auth/principal.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import type { Application } from '../tenancy/application.entity.js';
import { CancelSubscriptionDto, ChangeSubscriptionDto, CreateCheckoutSessionDto, CreatePortalSessionDto, StartTrialDto, SyncCheckoutSessionDto, SyncQuery } from './subscriptions.dto.js';
import { SubscriptionsDocs } from './subscriptions.api-docs.js';
import { SubscriptionsFacade } from './subscriptions.facade.js';

const docs = SubscriptionsDocs('subscriptions');
const SUBSCRIPTION_ID = ApiParam({ name: 'subscription_id', example: 'sub_1MowQVLkdIwHu7ixeRlqHVzs' });

/** The account-less routes of client apps: the account is the token's `acc` claim. */
@ApiTags('subscriptions')
@ApiBearerAuth(AUTH_SCHEMES.account)
@UseGuards(AccountGuard)
@Controller('api/subscriptions')
export class SubscriptionsController {
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

  @Post('trial') @HttpCode(200) @OwnerOnly() @docs.startTrial()
  startTrial(@Body() dto: StartTrialDto, @CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.startTrial(account, app, dto);
  }

  @Post(':subscription_id/change') @HttpCode(200) @OwnerOnly() @SUBSCRIPTION_ID @docs.change()
  change(@Param('subscription_id') id: string, @Body() dto: ChangeSubscriptionDto, @Headers('idempotency-key') key?: string, @CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.change(account, app, id, dto, key);
  }

  @Post(':subscription_id/cancel') @HttpCode(200) @OwnerOnly() @SUBSCRIPTION_ID @docs.cancel()
  cancel(@Param('subscription_id') id: string, @Body() dto: CancelSubscriptionDto, @Headers('idempotency-key') key?: string, @CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.cancel(account, app, id, dto.timing, key);
  }

  @Post(':subscription_id/resume') @HttpCode(200) @OwnerOnly() @SUBSCRIPTION_ID @docs.resume()
  resume(@Param('subscription_id') id: string, @Headers('idempotency-key') key?: string, @CurrentAccount() account?: AccountPrincipal, @CurrentApplication() app?: Application) {
    return this.subscriptions.resume(account, app, id, key);
  }
}
