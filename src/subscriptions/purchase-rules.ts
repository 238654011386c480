import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { CatalogMirrorRepository } from '../entitlements/catalog-mirror.repository.js';
import { AppError } from '../infra/errors/app-error.js';
import { StripeGateway } from '../infra/stripe/stripe.gateway.js';
import type { Application } from '../tenancy/application.entity.js';
import { stripeAccountOf, type AccountContext } from './account-context.js';

export interface PurchasablePrice {
  id: string;
  productId: string;
  interval: string | null;
  usageType: string | null;
}

const sql = (em: EntityManager) => em as SqlEntityManager;

/**
 * The checks every purchase and plan change makes: the price is in the application's catalog and
 * active, and the browser is only ever sent back to an origin the application allows.
 */
@Injectable()
export class PurchaseRules {
  constructor(
    private readonly catalog: CatalogMirrorRepository,
    private readonly gateway: StripeGateway,
  ) {}

  /** A price of the application's catalog that can be bought now; mirrored from Stripe on first use. */
  async purchasablePrice(em: EntityManager, ctx: AccountContext, priceId: string): Promise<PurchasablePrice> {
    const listed = await sql(em).execute('select 1 from application_prices where application_id = ? and stripe_price_id = ?', [ctx.application.id, priceId]);
    if (listed.length === 0) throw AppError.badRequest('price_not_in_catalog', `The price ${priceId} is not sold by this application.`);
    let row = await this.mirroredPrice(em, priceId);
    if (!row) {
      const stripeAccount = stripeAccountOf(ctx.merchant);
      const price = await this.gateway.call('prices.retrieve', (s) => s.prices.retrieve(priceId, {}, this.gateway.options(ctx.merchant)));
      await this.catalog.upsertPrice(em, price, stripeAccount, price.created, 'at-least');
      row = await this.mirroredPrice(em, priceId);
    }
    if (!row || !row.active || row.deleted) throw AppError.badRequest('price_inactive', `The price ${priceId} can no longer be bought.`);
    return { id: priceId, productId: row.product_id, interval: row.interval, usageType: row.usage_type };
  }

  /** The catalog price of the same product with another interval (change by `interval`). */
  async priceWithInterval(em: EntityManager, ctx: AccountContext, productId: string, interval: string): Promise<PurchasablePrice> {
    const rows = await sql(em).execute<{ id: string }[]>(
      `select p.id from prices p join application_prices ap on ap.stripe_price_id = p.id and ap.application_id = ?
       where p.product_id = ? and p.interval = ? and p.interval_count = 1 and p.active and not p.deleted
       order by p.id limit 1`,
      [ctx.application.id, productId, interval],
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

  private async mirroredPrice(em: EntityManager, priceId: string) {
    const rows = await sql(em).execute<{ product_id: string; active: boolean; deleted: boolean; interval: string | null; usage_type: string | null }[]>(
      'select product_id, active, deleted, interval, usage_type from prices where id = ?',
      [priceId],
    );
    return rows[0];
  }
}
