import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { CatalogMirrorRepository } from '../entitlements/catalog-mirror.repository.js';
import { Clock } from '../infra/clock/clock.js';
import { transactionalWithRetry } from '../infra/database/object-locks.js';
import { AppError } from '../infra/errors/app-error.js';
import { StripeGateway } from '../infra/stripe/stripe.gateway.js';
import type { Application } from '../tenancy/application.entity.js';
import { ApplicationsService } from '../tenancy/applications.service.js';

import { stripeAccountOf } from '../infra/stripe/accounts.js';
import { type AccountContext } from '../auth/account-context.js';
import { exec, sql } from '../infra/database/sql.js';
export interface PurchasablePrice {
  id: string;
  productId: string;
  interval: string | null;
  usageType: string | null;
}


/**
 * The checks every purchase and plan change makes: the price is in the application's catalog and
 * active, and the browser is only ever sent back to an origin the application allows.
 */
@Injectable()
export class PurchaseRules {
  constructor(
    private readonly catalog: CatalogMirrorRepository,
    private readonly gateway: StripeGateway,
    private readonly clock: Clock,
    private readonly applications: ApplicationsService,
  ) {}

  /** A price of the application's catalog that can be bought now; mirrored from Stripe on first use. */
  async purchasablePrice(em: EntityManager, ctx: AccountContext, priceId: string): Promise<PurchasablePrice> {
    const catalog = await this.applications.catalogPriceIds(ctx.application.id);
    if (!catalog.includes(priceId)) throw AppError.badRequest('price_not_in_catalog', `The price ${priceId} is not sold by this application.`);
    let row = await this.mirroredPrice(em, priceId);
    if (!row) {
      await this.mirrorFromStripe(em, ctx, priceId).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'stripe_resource_missing') throw AppError.badRequest('price_not_found', `Stripe has no price ${priceId}.`);
        throw error;
      });
      row = await this.mirroredPrice(em, priceId);
    }
    if (!row || !row.active || row.deleted) throw AppError.badRequest('price_inactive', `The price ${priceId} can no longer be bought.`);
    await this.refreshProductFeatures(em, ctx, row.product_id);
    return { id: priceId, productId: row.product_id, interval: row.interval, usageType: row.usage_type };
  }

  /**
   * The features the product grants, read from Stripe whenever it is bought (no webhook announces
   * product features), so that `features` can answer from the mirror for its subscriptions and trials.
   */
  private async refreshProductFeatures(em: EntityManager, ctx: AccountContext, productId: string): Promise<void> {
    const links = await this.gateway.call('products.listFeatures', (s) =>
      s.products.listFeatures(productId, { limit: 100 }, this.gateway.options(ctx.merchant)).autoPagingToArray({ limit: 1000 }),
    );
    await transactionalWithRetry(em, (tx) => this.catalog.replaceProductFeatures(tx, productId, links, stripeAccountOf(ctx.merchant)));
  }

  /** The catalog price of the same product with another interval (change by `interval`). */
  async priceWithInterval(em: EntityManager, ctx: AccountContext, productId: string, interval: string): Promise<PurchasablePrice> {
    const catalog = await this.applications.catalogPriceIds(ctx.application.id);
    // Catalog prices whose price.created event has not been applied yet are read from Stripe first.
    const mirrored = new Set((await exec<{ id: string }>(em, 'select id from prices where id = any(?::text[])', [catalog])).map((p) => p.id));
    for (const id of catalog.filter((priceId) => !mirrored.has(priceId))) {
      await this.mirrorFromStripe(em, ctx, id).catch((error: unknown) => {
        // A catalog entry Stripe does not know cannot be the answer; anything else (Stripe down) is.
        if (!(error instanceof AppError && error.code === 'stripe_resource_missing')) throw error;
      });
    }
    const rows = await exec<{ id: string }>(
      em,
      `select p.id from prices p
       where p.id = any(?::text[]) and p.product_id = ? and p.interval = ? and p.interval_count = 1 and p.active and not p.deleted
       order by p.id limit 1`,
      [catalog, productId, interval],
    );
    if (!rows[0]) throw AppError.badRequest('no_price_for_interval', `This plan has no ${interval}ly price in the catalog.`);
    return this.purchasablePrice(em, ctx, rows[0].id);
  }

  /** Success, cancel and return URLs may only point at the application's allowed origins (no open redirects). */
  requireAllowedRedirect(application: Application, url: string, field: string): void {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      throw AppError.badRequest('redirect_not_allowed', `${field} is not a URL.`);
    }
    if (!application.allowedOrigins.includes(origin)) {
      throw AppError.badRequest('redirect_not_allowed', `${field} must point at an allowed origin of the application (${origin} is not one).`);
    }
  }

  private async mirrorFromStripe(em: EntityManager, ctx: AccountContext, priceId: string): Promise<void> {
    const price = await this.gateway.call('prices.retrieve', (s) => s.prices.retrieve(priceId, {}, this.gateway.options(ctx.merchant)));
    // Written as of the second before it was read: an older price.updated event delivered later cannot
    // undo it, while an event of the very second it was read (ambiguous) still applies.
    const readAt = Math.max(price.created, this.clock.nowSeconds() - 1);
    await this.catalog.upsertPrice(em, price, stripeAccountOf(ctx.merchant), readAt, 'at-least');
  }

  private async mirroredPrice(em: EntityManager, priceId: string) {
    const rows = await sql(em).execute<{ product_id: string; active: boolean; deleted: boolean; interval: string | null; usage_type: string | null }[]>(
      'select product_id, active, deleted, interval, usage_type from prices where id = ?',
      [priceId],
    );
    return rows[0];
  }
}
