import { Body, Controller, Headers, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import { AccountGuard } from '../infra/auth/account.guard.js';
import { CurrentAccount, CurrentApplication, OwnerOnly } from '../infra/auth/decorators.js';
import type { AccountPrincipal } from '../infra/auth/principal.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import type { Application } from '../tenancy/application.entity.js';
import { CancelSubscriptionDto, ChangeSubscriptionDto } from './subscriptions.dto.js';
import { SubscriptionsDocs } from './subscriptions.api-docs.js';
import { SubscriptionsFacade } from './subscriptions.facade.js';
import { sharedSubscriptionRoutes } from './shared-subscription-routes.js';

const docs = SubscriptionsDocs('subscriptions');
const SUBSCRIPTION_ID = ApiParam({ name: 'subscription_id', example: 'sub_1MowQVLkdIwHu7ixeRlqHVzs' });

/** The account-less routes of client apps: the account is the token's `acc` claim. */
@ApiTags('subscriptions')
@ApiBearerAuth(AUTH_SCHEMES.account)
@UseGuards(AccountGuard)
@Controller('api/subscriptions')
export class SubscriptionsController extends sharedSubscriptionRoutes('subscriptions') {
  constructor(subscriptions: SubscriptionsFacade) {
    super(subscriptions);
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
