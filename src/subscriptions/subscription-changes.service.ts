import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { Clock } from '../infra/clock/clock.js';
import type { AppConfig } from '../infra/config/config.js';
import { APP_CONFIG } from '../infra/config/config.module.js';
import { transactionalWithRetry } from '../infra/database/object-locks.js';
import { AppError } from '../infra/errors/app-error.js';
import { StripeGateway } from '../infra/stripe/stripe.gateway.js';

import { PurchaseRules } from './purchase-rules.js';
import { SubscriptionReadRepository, type OwnedSubscription } from './subscription-read.repository.js';
import { SubscriptionSyncService } from './subscription-sync.service.js';
import type { CancelTiming, ChangeSubscriptionDto, SubscriptionView } from './subscriptions.dto.js';
import { type AccountContext } from '../auth/account-context.js';
import { ENDED_STATUSES } from './access-policy.js';


/**
 * Plan changes, cancellations and resumption of an account's own subscriptions. Each change is made
 * in Stripe first (with an idempotency key, so a retried request changes Stripe once) and the
 * subscription Stripe returns is mirrored at once; the webhooks that follow find it up to date.
 */
@Injectable()
export class SubscriptionChangesService {
  constructor(
    private readonly em: EntityManager,
    private readonly reads: SubscriptionReadRepository,
    private readonly rules: PurchaseRules,
    private readonly sync: SubscriptionSyncService,
    private readonly gateway: StripeGateway,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async change(ctx: AccountContext, subscriptionId: string, dto: ChangeSubscriptionDto, idempotencyKey?: string): Promise<SubscriptionView> {
    if (dto.price_id && dto.interval) throw AppError.badRequest('conflicting_change', 'Give price_id or interval, not both.');
    if (!dto.price_id && !dto.interval && dto.quantity === undefined) {
      throw AppError.badRequest('nothing_to_change', 'Give price_id, interval or quantity.');
    }
    const em = this.em.fork();
    const sub = await this.live(em, ctx, subscriptionId);
    const item = sub.licensedItem;
    if (!item) throw AppError.conflict('no_licensed_item', 'The subscription has no licensed item whose plan or quantity could change.');
    const price = dto.price_id
      ? await this.rules.purchasablePrice(em, ctx, dto.price_id)
      : dto.interval
        ? await this.rules.priceWithInterval(em, ctx, item.productId, dto.interval)
        : undefined;
    const params: Stripe.SubscriptionUpdateParams = {
      items: [{ id: item.id, ...(price ? { price: price.id } : {}), ...(dto.quantity !== undefined ? { quantity: dto.quantity } : {}) }],
      proration_behavior: dto.proration_behavior ?? this.config.DEFAULT_PRORATION_BEHAVIOR,
      expand: ['latest_invoice'],
    };
    return this.update(ctx, sub, 'change', params, idempotencyKey);
  }

  async cancel(ctx: AccountContext, subscriptionId: string, timing: CancelTiming, idempotencyKey?: string): Promise<SubscriptionView> {
    const em = this.em.fork();
    const sub = await this.live(em, ctx, subscriptionId);
    if (timing === 'period_end') {
      return this.update(ctx, sub, 'cancel_at_period_end', { cancel_at_period_end: true, expand: ['latest_invoice'] }, idempotencyKey);
    }
    const key = this.key(ctx, sub, 'cancel', { timing }, idempotencyKey);
    const canceled = await this.gateway.call('subscriptions.cancel', (s) =>
      s.subscriptions.cancel(
        sub.id,
        { invoice_now: ctx.application.cancelInvoiceNow, prorate: ctx.application.cancelProrate, expand: ['latest_invoice'] },
        this.gateway.options(ctx.merchant, key),
      ),
    );
    return this.mirror(ctx, sub, canceled);
  }

  /** Undoes a period-end cancellation; resumes a paused subscription. */
  async resume(ctx: AccountContext, subscriptionId: string, idempotencyKey?: string): Promise<SubscriptionView> {
    const em = this.em.fork();
    const sub = await this.live(em, ctx, subscriptionId);
    if (sub.status === 'paused') {
      const key = this.key(ctx, sub, 'resume', {}, idempotencyKey);
      const resumed = await this.gateway.call('subscriptions.resume', (s) =>
        s.subscriptions.resume(sub.id, { expand: ['latest_invoice'] }, this.gateway.options(ctx.merchant, key)),
      );
      return this.mirror(ctx, sub, resumed);
    }
    if (!sub.cancelAtPeriodEnd) throw AppError.conflict('not_scheduled_to_cancel', 'The subscription is not set to cancel at the period end.');
    return this.update(ctx, sub, 'resume', { cancel_at_period_end: false, expand: ['latest_invoice'] }, idempotencyKey);
  }

  /** The account's own subscription that has not ended; another account's is a 404, an ended one a 409. */
  private async live(em: EntityManager, ctx: AccountContext, subscriptionId: string): Promise<OwnedSubscription> {
    const sub = await this.reads.findOwned(em, subscriptionId, ctx.accountId, ctx.application.id);
    if (!sub) throw AppError.notFound('subscription_not_found', `No subscription ${subscriptionId} of this account.`);
    if (ENDED_STATUSES.has(sub.status)) throw AppError.conflict('subscription_ended', `The subscription has ended (${sub.status}).`);
    return sub;
  }

  private async update(ctx: AccountContext, sub: OwnedSubscription, operation: string, params: Stripe.SubscriptionUpdateParams, idempotencyKey?: string): Promise<SubscriptionView> {
    const key = this.key(ctx, sub, operation, params, idempotencyKey);
    const updated = await this.gateway.call('subscriptions.update', (s) => s.subscriptions.update(sub.id, params, this.gateway.options(ctx.merchant, key)));
    return this.mirror(ctx, sub, updated);
  }

  /**
   * The client's Idempotency-Key when it sent one; otherwise a key derived from the request and the
   * state it applies to, so that a retry of the same request on the same state is made once.
   */
  private key(ctx: AccountContext, sub: OwnedSubscription, operation: string, params: unknown, clientKey?: string): string {
    return clientKey
      ? this.gateway.idempotencyKey(operation, ctx.accountId, sub.id, clientKey)
      : this.gateway.idempotencyKey(operation, ctx.accountId, sub.id, sub.stripeVersion, params);
  }

  private async mirror(ctx: AccountContext, sub: OwnedSubscription, answer: Stripe.Response<Stripe.Subscription>): Promise<SubscriptionView> {
    // A retried request is answered with Stripe's stored answer of the first one, which may be older
    // than changes made since: mirror (and show) the subscription as Stripe holds it now instead.
    const subscription = answer.lastResponse?.headers?.['idempotent-replayed'] === 'true'
      ? await this.gateway.call('subscriptions.retrieve', (s) => s.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] }, this.gateway.options(ctx.merchant)))
      : answer;
    const em = this.em.fork();
    await transactionalWithRetry(em, (tx) =>
      this.sync.applyFetchedSubscription(tx, subscription, { stripeAccount: sub.stripeAccount, merchantId: ctx.merchant.id, applicationId: ctx.application.id }, this.clock.nowSeconds()),
    );
    return (await this.reads.view(em, sub.id, this.clock.now()))!;
  }
}
