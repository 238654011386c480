import { Body, Get, Headers, HttpCode, Post, Query } from '@nestjs/common';
import { CurrentAccount, CurrentApplication, OwnerOnly } from '../infra/auth/decorators.js';
import type { AccountPrincipal } from '../infra/auth/principal.js';
import type { Application } from '../tenancy/application.entity.js';
import { CreateCheckoutSessionDto, CreatePortalSessionDto, StartTrialDto, SyncCheckoutSessionDto, SyncQuery } from './subscriptions.dto.js';
import { SubscriptionsDocs } from './subscriptions.api-docs.js';
import type { SubscriptionsFacade } from './subscriptions.facade.js';

/**
 * The routes the account-scoped and the account-less controllers have in common, written once:
 * each controller extends the class made for its OpenAPI scope and adds the routes that name a
 * subscription differently (in the body for the one, in the path for the other).
 */
export function sharedSubscriptionRoutes(scope: 'subscriptions' | 'accountSubscriptions') {
  const docs = SubscriptionsDocs(scope);

  abstract class SharedSubscriptionRoutes {
    constructor(protected readonly subscriptions: SubscriptionsFacade) {}

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
  }
  return SharedSubscriptionRoutes;
}
