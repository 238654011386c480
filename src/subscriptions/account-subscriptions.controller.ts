import { Body, Controller, Headers, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { AccountGuard } from '../infra/auth/account.guard.js';
import { CurrentAccount, CurrentApplication, OwnerOnly } from '../infra/auth/decorators.js';
import type { AccountPrincipal } from '../infra/auth/principal.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import type { Application } from '../tenancy/application.entity.js';
import { CancelSubscriptionWithIdDto, ChangeSubscriptionWithIdDto } from './subscriptions.dto.js';
import { SubscriptionsDocs } from './subscriptions.api-docs.js';
import { SubscriptionsFacade } from './subscriptions.facade.js';
import { sharedSubscriptionRoutes } from './shared-subscription-routes.js';

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
export class AccountScopedSubscriptionsController extends sharedSubscriptionRoutes('accountSubscriptions') {
  constructor(subscriptions: SubscriptionsFacade) {
    super(subscriptions);
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

}
