import { Injectable } from '@nestjs/common';
import { FeaturesService } from '../entitlements/features.service.js';
import type { AccountPrincipal } from '../infra/auth/principal.js';
import { AppError } from '../infra/errors/app-error.js';
import type { Application } from '../tenancy/application.entity.js';

import { AccountContextResolver } from './account-context.resolver.js';
import { AccountSubscriptionsService } from './account-subscriptions.service.js';
import { CheckoutService } from './checkout.service.js';
import { SubscriptionChangesService } from './subscription-changes.service.js';
import type { CancelTiming, ChangeSubscriptionDto, CreateCheckoutSessionDto, StartTrialDto } from './subscriptions.dto.js';
import { TrialsService } from './trials.service.js';
import { stripeAccountOf } from '../infra/stripe/accounts.js';

/**
 * The one service behind both route sets (account-scoped `/api/accounts/:account_id/subscriptions`
 * and account-less `/api/subscriptions`): each method resolves who the request is for and hands
 * over to the use case. The controllers only translate HTTP.
 */
@Injectable()
export class SubscriptionsFacade {
  constructor(
    private readonly contexts: AccountContextResolver,
    private readonly accounts: AccountSubscriptionsService,
    private readonly checkout: CheckoutService,
    private readonly changes: SubscriptionChangesService,
    private readonly trials: TrialsService,
    private readonly features: FeaturesService,
  ) {}

  async list(account?: AccountPrincipal, application?: Application) {
    return { data: await this.accounts.list(await this.contexts.resolve(account, application)) };
  }

  async featureList(account?: AccountPrincipal, application?: Application) {
    const ctx = await this.contexts.resolve(account, application);
    return { data: await this.features.featuresOf(ctx.accountId, ctx.application.id, stripeAccountOf(ctx.merchant)) };
  }

  async identity(account?: AccountPrincipal, application?: Application) {
    return this.accounts.identity(await this.contexts.resolve(account, application));
  }

  async merchants(account?: AccountPrincipal, application?: Application) {
    return { data: await this.accounts.merchants(await this.contexts.resolve(account, application)) };
  }

  async createCheckoutSession(account: AccountPrincipal | undefined, application: Application | undefined, dto: CreateCheckoutSessionDto, idempotencyKey?: string) {
    return this.checkout.createCheckoutSession(await this.contexts.resolve(account, application), dto, checkKey(idempotencyKey));
  }

  async createPortalSession(account: AccountPrincipal | undefined, application: Application | undefined, returnUrl: string) {
    return this.checkout.createPortalSession(await this.contexts.resolve(account, application), returnUrl);
  }

  async syncCheckoutSession(account: AccountPrincipal | undefined, application: Application | undefined, sessionId: string) {
    return this.checkout.syncCheckoutSession(await this.contexts.resolve(account, application), sessionId);
  }

  async sync(account: AccountPrincipal | undefined, application: Application | undefined, allowDeletes: boolean) {
    return this.accounts.syncFromStripe(await this.contexts.resolve(account, application), allowDeletes);
  }

  async change(account: AccountPrincipal | undefined, application: Application | undefined, subscriptionId: string, dto: ChangeSubscriptionDto, idempotencyKey?: string) {
    return this.changes.change(await this.contexts.resolve(account, application), subscriptionId, dto, checkKey(idempotencyKey));
  }

  async cancel(account: AccountPrincipal | undefined, application: Application | undefined, subscriptionId: string, timing: CancelTiming, idempotencyKey?: string) {
    return this.changes.cancel(await this.contexts.resolve(account, application), subscriptionId, timing, checkKey(idempotencyKey));
  }

  async resume(account: AccountPrincipal | undefined, application: Application | undefined, subscriptionId: string, idempotencyKey?: string) {
    return this.changes.resume(await this.contexts.resolve(account, application), subscriptionId, checkKey(idempotencyKey));
  }

  async startTrial(account: AccountPrincipal | undefined, application: Application | undefined, dto: StartTrialDto) {
    return this.trials.start(await this.contexts.resolve(account, application), dto);
  }

  async trial(account: AccountPrincipal | undefined, application: Application | undefined) {
    const view = await this.trials.view(await this.contexts.resolve(account, application));
    if (!view) throw AppError.notFound('trial_not_found', 'The account has no trial of this application.');
    return view;
  }
}

/** A client's Idempotency-Key: printable, at most 255 characters (Stripe's limit). */
function checkKey(key: string | undefined): string | undefined {
  if (key === undefined || key === '') return undefined;
  if (key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) throw AppError.badRequest('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 printable characters.');
  return key;
}
