import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AccountContext } from '../auth/account-context.js';
import { AccountGuard } from '../auth/account.guard.js';
import { CurrentAccount } from '../auth/decorators.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { previewChangeDocs } from './change-preview.api-docs.js';
import { SubscriptionChangesService } from './subscription-changes.service.js';
import { ChangeSubscriptionDto, ChangeSubscriptionWithIdDto } from './subscriptions.dto.js';

/*
 * The preview of a change (what `change` with the same body would cost), on both route sets, in
 * controllers of their own beside SubscriptionsController and AccountScopedSubscriptionsController.
 *
 * Not @OwnerOnly(), unlike `change`: a preview changes nothing in Stripe or here, and what it shows
 * (the catalog's prices applied to the account's own subscription) is what any member already sees
 * in the subscription list and the catalog. The owner's change flow calls it before `change`, which
 * stays owner-only; a member's billing page may show the same figures.
 */

/** `POST /api/subscriptions/:subscription_id/change/preview`: the account from the token. */
@ApiTags('subscriptions')
@ApiBearerAuth(AUTH_SCHEMES.account)
@UseGuards(AccountGuard)
@Controller('api/subscriptions')
export class SubscriptionChangePreviewController {
  constructor(private readonly changes: SubscriptionChangesService) {}

  @Post(':subscription_id/change/preview') @HttpCode(200)
  @ApiParam({ name: 'subscription_id', description: "One of the account's subscriptions", example: 'sub_1QyT0wLkdIwHu7ixa1b2c3d4' })
  @previewChangeDocs('subscriptions')
  previewChange(@CurrentAccount() ctx: AccountContext, @Param('subscription_id') id: string, @Body() dto: ChangeSubscriptionDto) {
    return this.changes.preview(ctx, id, dto);
  }
}

/** `POST /api/accounts/:account_id/subscriptions/change/preview`: the subscription in the body, as for `change`. */
@ApiTags('subscriptions (account-scoped)')
@ApiBearerAuth(AUTH_SCHEMES.account)
@ApiParam({ name: 'account_id', description: "The account (for the freee app store, the company_id): must be the token's `acc` claim", example: '3001002' })
@UseGuards(AccountGuard)
@Controller('api/accounts/:account_id/subscriptions')
export class AccountSubscriptionChangePreviewController {
  constructor(private readonly changes: SubscriptionChangesService) {}

  @Post('change/preview') @HttpCode(200)
  @previewChangeDocs('accountSubscriptions')
  previewChange(@CurrentAccount() ctx: AccountContext, @Body() { subscription_id, ...change }: ChangeSubscriptionWithIdDto) {
    return this.changes.preview(ctx, subscription_id, change);
  }
}
