import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { Clock } from '../infra/clock/clock.js';
import type { AppConfig } from '../infra/config/config.js';
import { APP_CONFIG } from '../infra/config/config.module.js';
import { transactionalWithRetry } from '../infra/database/object-locks.js';
import { AppError } from '../infra/errors/app-error.js';
import { StripeGateway } from '../infra/stripe/stripe.gateway.js';
import { exec } from '../infra/database/sql.js';
import { ApplicationsService } from '../tenancy/applications.service.js';

import { PurchaseRules } from './purchase-rules.js';
import { SubscriptionReadRepository, type OwnedSubscription } from './subscription-read.repository.js';
import { SubscriptionSyncService } from './subscription-sync.service.js';
import type { CancelTiming, ChangePreviewView, ChangeSubscriptionDto, SubscriptionView } from './subscriptions.dto.js';
import { type AccountContext } from '../auth/account-context.js';
import { ENDED_STATUSES } from './access-policy.js';
import { idOf } from '../infra/stripe/accounts.js';


interface PriceFacts {
  id: string;
  productId: string;
  currency: string;
  interval: string | null;
  intervalCount: number | null;
  active: boolean;
}

const iso = (unix: number) => new Date(unix * 1000).toISOString();

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
    private readonly applications: ApplicationsService,
  ) {}

  async change(ctx: AccountContext, subscriptionId: string, dto: ChangeSubscriptionDto, idempotencyKey?: string): Promise<SubscriptionView> {
    const { em, sub, item } = await this.changeable(ctx, subscriptionId, dto);
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

  /**
   * What `change` with the same body would cost, as Stripe computes it (`invoices.createPreview`
   * with the same items and proration behaviour, prorated as of now to the second), changing
   * nothing: no Stripe mutation and no write here (the price is checked by the rules of `change`
   * without mirroring it, see previewPrice). The same refusals as `change`, with the same codes.
   */
  async preview(ctx: AccountContext, subscriptionId: string, dto: ChangeSubscriptionDto): Promise<ChangePreviewView> {
    const { em, sub, item } = await this.changeable(ctx, subscriptionId, dto);
    const { current, target } = await this.previewPrices(em, ctx, item, dto);
    const behavior = dto.proration_behavior ?? this.config.DEFAULT_PRORATION_BEHAVIOR;
    // Stripe takes no proration date where it makes no prorations.
    const prorationDate = behavior === 'none' ? null : this.clock.nowSeconds();
    const quantity = dto.quantity ?? item.quantity ?? 1;
    const params: Stripe.InvoiceCreatePreviewParams = {
      subscription: sub.id,
      subscription_details: {
        items: [{ id: item.id, ...(target ? { price: target.id } : {}), ...(dto.quantity !== undefined ? { quantity: dto.quantity } : {}) }],
        proration_behavior: behavior,
        ...(prorationDate !== null ? { proration_date: prorationDate } : {}),
      },
    };
    const invoice = await this.gateway
      .call('invoices.createPreview', (s) => s.invoices.createPreview(params, this.gateway.options(ctx.merchant)))
      .catch((error: unknown) => {
        // Stripe has no next invoice to show for a subscription that ends at the period end.
        if (error instanceof AppError && error.details?.stripe_code === 'invoice_upcoming_none') return null;
        throw error;
      });
    // Stripe's rule: an interval change resets the billing cycle and bills the new period at once;
    // otherwise always_invoice bills the prorations at once, and create_prorations leaves them for the renewal.
    const newPeriod = target !== undefined && (target.interval !== current.interval || target.intervalCount !== current.intervalCount);
    const prorations = (invoice?.lines.data ?? []).filter((line) => line.parent?.subscription_item_details?.proration === true);
    const billedNow = invoice !== null && (newPeriod || (behavior === 'always_invoice' && prorations.length > 0));
    return {
      subscription_id: sub.id,
      currency: invoice?.currency ?? current.currency,
      price_id: (target ?? current).id,
      quantity,
      proration_behavior: behavior,
      proration_date: prorationDate === null ? null : iso(prorationDate),
      amount_due_now: billedNow ? invoice.amount_due : 0,
      next_invoice: invoice && {
        billed: billedNow ? 'now' : 'period_end',
        amount_due: invoice.amount_due,
        subtotal: invoice.subtotal,
        total: invoice.total,
        period_start: iso(invoice.period_start),
        period_end: iso(invoice.period_end),
      },
      proration_lines: prorations.map((line) => ({
        description: line.description ?? '',
        amount: line.amount,
        price_id: idOf(line.pricing?.price_details?.price),
        quantity: line.quantity,
        period_start: iso(line.period.start),
        period_end: iso(line.period.end),
      })),
    };
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

  /**
   * The subscription's current price and the price a change would move to, checked as `change`
   * checks it (PurchaseRules: in the application's catalog, known to Stripe, active; by interval,
   * the catalog price of the same product with that interval, the first by id), with the same
   * codes, but read-only: PurchaseRules mirrors a price on first use and refreshes the product's
   * features, which a purchase needs and a preview (which any member may call, as often as a page
   * redraws) must not do. A price not mirrored yet is read from Stripe and not stored.
   */
  private async previewPrices(em: EntityManager, ctx: AccountContext, item: NonNullable<OwnedSubscription['licensedItem']>, dto: ChangeSubscriptionDto) {
    const catalog = dto.price_id || dto.interval ? await this.applications.catalogPriceIds(ctx.application.id) : [];
    if (dto.price_id && !catalog.includes(dto.price_id)) throw AppError.badRequest('price_not_in_catalog', `The price ${dto.price_id} is not sold by this application.`);
    const facts = await this.priceFacts(em, ctx, [item.priceId, ...(dto.price_id ? [dto.price_id] : dto.interval ? catalog : [])]);
    const current = facts.get(item.priceId);
    // The subscription's own price: the mirror holds it (its item was mirrored with it) or Stripe does.
    if (!current) throw AppError.notFound('stripe_resource_missing', `No such price: '${item.priceId}'`);
    let targetId = dto.price_id;
    if (dto.interval) {
      const candidates = catalog
        .map((id) => facts.get(id))
        .filter((p): p is PriceFacts => p !== undefined && p.productId === item.productId && p.interval === dto.interval && p.intervalCount === 1 && p.active)
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      if (!candidates[0]) throw AppError.badRequest('no_price_for_interval', `This plan has no ${dto.interval}ly price in the catalog.`);
      targetId = candidates[0].id;
    }
    if (!targetId) return { current, target: undefined };
    const target = facts.get(targetId);
    if (!target) throw AppError.badRequest('price_not_found', `Stripe has no price ${targetId}.`);
    if (!target.active) throw AppError.badRequest('price_inactive', `The price ${targetId} can no longer be bought.`);
    return { current, target };
  }

  /** What a preview needs of prices: from the mirror, else from Stripe (a read); a price Stripe does not know is left out. */
  private async priceFacts(em: EntityManager, ctx: AccountContext, ids: string[]): Promise<Map<string, PriceFacts>> {
    const rows = await exec<{ id: string; product_id: string; currency: string; interval: string | null; interval_count: number | null; active: boolean; deleted: boolean }>(
      em,
      'select id, product_id, currency, interval, interval_count, active, deleted from prices where id = any(?::text[])',
      [[...new Set(ids)]],
    );
    const facts = new Map<string, PriceFacts>(
      rows.map((r) => [r.id, { id: r.id, productId: r.product_id, currency: r.currency, interval: r.interval, intervalCount: r.interval_count, active: r.active && !r.deleted }]),
    );
    for (const id of new Set(ids.filter((priceId) => !facts.has(priceId)))) {
      const price = await this.gateway
        .call('prices.retrieve', (s) => s.prices.retrieve(id, {}, this.gateway.options(ctx.merchant)))
        .catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'stripe_resource_missing') return undefined;
          throw error;
        });
      if (price) {
        facts.set(id, {
          id,
          productId: typeof price.product === 'string' ? price.product : price.product.id,
          currency: price.currency,
          interval: price.recurring?.interval ?? null,
          intervalCount: price.recurring?.interval_count ?? null,
          active: price.active,
        });
      }
    }
    return facts;
  }

  /** What a change (or its preview) acts on, after the refusals both share: the live subscription and its licensed item. */
  private async changeable(ctx: AccountContext, subscriptionId: string, dto: ChangeSubscriptionDto) {
    if (dto.price_id && dto.interval) throw AppError.badRequest('conflicting_change', 'Give price_id or interval, not both.');
    if (!dto.price_id && !dto.interval && dto.quantity === undefined) {
      throw AppError.badRequest('nothing_to_change', 'Give price_id, interval or quantity.');
    }
    const em = this.em.fork();
    const sub = await this.live(em, ctx, subscriptionId);
    const item = sub.licensedItem;
    if (!item) throw AppError.conflict('no_licensed_item', 'The subscription has no licensed item whose plan or quantity could change.');
    return { em, sub, item };
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
