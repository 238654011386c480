import { Body, Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
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
  CancelSubscriptionWithIdDto,
  ChangeSubscriptionWithIdDto,
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

class ResumeWithIdDto {
  @ApiProperty({ example: 'sub_1QyT0wLkdIwHu7ixa1b2c3d4' })
  @IsString() @Matches(/^sub_\w{1,250}$/, { message: '$property must be a subscription id (sub_...)' })
  subscription_id!: string;
}

const docs = SubscriptionsDocs('accountSubscriptions');

/**
 * AM's account-scoped routes (seed 000): the token's `acc` must be `:account_id`, and a
 * subscription is named in the body. The same services as the account-less routes
 * (SubscriptionsController), each route set written out flat so that either reads on its own.
 */
@ApiTags('subscriptions (account-scoped)')
@ApiBearerAuth(AUTH_SCHEMES.account)
@ApiParam({ name: 'account_id', description: "The account (for the freee app store, the company_id): must be the token's `acc` claim", example: '3001002' })
@UseGuards(AccountGuard)
@Controller('api/accounts/:account_id/subscriptions')
export class AccountScopedSubscriptionsController {
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

  @Post('change') @HttpCode(200) @Audited('subscription.change', { state: oneSubscription }) @OwnerOnly() @docs.change()
  change(@CurrentAccount() ctx: AccountContext, @Body() { subscription_id, ...change }: ChangeSubscriptionWithIdDto, @IdempotencyKey() key?: string) {
    return this.changes.change(ctx, subscription_id, change, key);
  }

  @Post('cancel') @HttpCode(200) @Audited('subscription.cancel', { state: oneSubscription }) @OwnerOnly() @docs.cancel()
  cancel(@CurrentAccount() ctx: AccountContext, @Body() dto: CancelSubscriptionWithIdDto, @IdempotencyKey() key?: string) {
    return this.changes.cancel(ctx, dto.subscription_id, dto.timing, key);
  }

  @Post('resume') @HttpCode(200) @Audited('subscription.resume', { state: oneSubscription }) @OwnerOnly() @docs.resume(ResumeWithIdDto)
  resume(@CurrentAccount() ctx: AccountContext, @Body() dto: ResumeWithIdDto, @IdempotencyKey() key?: string) {
    return this.changes.resume(ctx, dto.subscription_id, key);
  }
}
