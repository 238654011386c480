import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AccountContext } from '../auth/account-context.js';
import { AccountGuard } from '../auth/account.guard.js';
import { CurrentAccount } from '../auth/decorators.js';
import { FeaturesService } from '../entitlements/features.service.js';
import { OwnerOnly } from '../infra/auth/owner-only.js';
import { IdempotencyKey } from '../infra/http/idempotency-key.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { CheckoutService } from './checkout.service.js';
import { SubscriptionChangesService } from './subscription-changes.service.js';
import { SubscriptionsDocs } from './subscriptions.api-docs.js';
import {
  CancelSubscriptionDto,
  ChangeSubscriptionDto,
  CreateCheckoutSessionDto,
  CreatePortalSessionDto,
  StartTrialDto,
  SyncCheckoutSessionDto,
  SyncQuery,
} from './subscriptions.dto.js';
import { SubscriptionsService } from './subscriptions.service.js';
import { TrialsService } from './trials.service.js';
import { Audited } from '../audit/audited.js';
import { accountSubscriptions, accountTrial, oneSubscription } from './audit-states.js';
import { FromDatabaseOnly } from '../infra/http/request-hooks.js';

const docs = SubscriptionsDocs('subscriptions');
const SUBSCRIPTION_ID = ApiParam({ name: 'subscription_id', description: "One of the account's subscriptions", example: 'sub_1QyT0wLkdIwHu7ixa1b2c3d4' });

/**
 * The account-less routes of client apps (seed 001's `api.subscriptions.*`): the account is the
 * token's `acc` claim. The AccountGuard resolves account, application and merchant once; each
 * handler hands them to its service. The account-scoped routes (AccountScopedSubscriptionsController)
 * call the same services.
 */
@ApiTags('subscriptions')
@ApiBearerAuth(AUTH_SCHEMES.account)
@UseGuards(AccountGuard)
@Controller('api/subscriptions')
export class SubscriptionsController {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly features: FeaturesService,
    private readonly checkout: CheckoutService,
    private readonly changes: SubscriptionChangesService,
    private readonly trials: TrialsService,
  ) {}

  @Get() @docs.list()
  async list(@CurrentAccount() ctx: AccountContext) {
    return { data: await this.subscriptions.list(ctx) };
  }

  @Get('features') @docs.features() @FromDatabaseOnly()
  async featureList(@CurrentAccount() ctx: AccountContext) {
    return { data: await this.features.ofAccount(ctx) };
  }

  @Get('identity') @docs.identity()
  identity(@CurrentAccount() ctx: AccountContext) {
    return this.subscriptions.identity(ctx);
  }

  @Get('merchants') @docs.merchants()
  async merchants(@CurrentAccount() ctx: AccountContext) {
    return { data: await this.subscriptions.merchants(ctx) };
  }

  @Get('trial') @docs.trial()
  trial(@CurrentAccount() ctx: AccountContext) {
    return this.trials.get(ctx);
  }

  @Post('stripe/checkout-session') @HttpCode(200) @Audited('subscription.checkout-session', { afterIsAnswer: true }) @OwnerOnly() @docs.createCheckoutSession()
  createCheckoutSession(@CurrentAccount() ctx: AccountContext, @Body() dto: CreateCheckoutSessionDto, @IdempotencyKey() key?: string) {
    return this.checkout.createCheckoutSession(ctx, dto, key);
  }

  @Post('stripe/portal-session') @HttpCode(200) @Audited('subscription.portal-session') @OwnerOnly() @docs.createPortalSession()
  createPortalSession(@CurrentAccount() ctx: AccountContext, @Body() dto: CreatePortalSessionDto) {
    return this.checkout.createPortalSession(ctx, dto.return_url);
  }

  @Post('stripe/checkout-session-sync') @HttpCode(200) @Audited('subscription.checkout-sync', { state: accountSubscriptions }) @OwnerOnly() @docs.syncCheckoutSession()
  syncCheckoutSession(@CurrentAccount() ctx: AccountContext, @Body() dto: SyncCheckoutSessionDto) {
    return this.checkout.syncCheckoutSession(ctx, dto.session_id);
  }

  @Post('sync') @HttpCode(200) @Audited('subscription.sync', { state: accountSubscriptions }) @OwnerOnly() @docs.sync()
  sync(@CurrentAccount() ctx: AccountContext, @Query() query: SyncQuery) {
    return this.subscriptions.syncFromStripe(ctx, query.allow_deletes ?? false);
  }

  @Post('trial') @HttpCode(200) @Audited('trial.start', { state: accountTrial }) @OwnerOnly() @docs.startTrial()
  startTrial(@CurrentAccount() ctx: AccountContext, @Body() dto: StartTrialDto) {
    return this.trials.start(ctx, dto);
  }

  @Post(':subscription_id/change') @HttpCode(200) @Audited('subscription.change', { state: oneSubscription }) @OwnerOnly() @SUBSCRIPTION_ID @docs.change()
  change(@CurrentAccount() ctx: AccountContext, @Param('subscription_id') id: string, @Body() dto: ChangeSubscriptionDto, @IdempotencyKey() key?: string) {
    return this.changes.change(ctx, id, dto, key);
  }

  @Post(':subscription_id/cancel') @HttpCode(200) @Audited('subscription.cancel', { state: oneSubscription }) @OwnerOnly() @SUBSCRIPTION_ID @docs.cancel()
  cancel(@CurrentAccount() ctx: AccountContext, @Param('subscription_id') id: string, @Body() dto: CancelSubscriptionDto, @IdempotencyKey() key?: string) {
    return this.changes.cancel(ctx, id, dto.timing, key);
  }

  @Post(':subscription_id/resume') @HttpCode(200) @Audited('subscription.resume', { state: oneSubscription }) @OwnerOnly() @SUBSCRIPTION_ID @docs.resume()
  resume(@CurrentAccount() ctx: AccountContext, @Param('subscription_id') id: string, @IdempotencyKey() key?: string) {
    return this.changes.resume(ctx, id, key);
  }
}
