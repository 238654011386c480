import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { Clock } from '../infra/clock/clock.js';
import { AppError } from '../infra/errors/app-error.js';
import { transactionalWithRetry } from '../infra/database/object-locks.js';
import { lockOwners } from '../infra/stripe/object-locks.js';
import { StripeGateway } from '../infra/stripe/stripe.gateway.js';
import { Merchant } from '../tenancy/merchant.entity.js';
import { CatalogMirrorRepository } from './catalog-mirror.repository.js';
import { groupByStripeAccount } from '../infra/stripe/accounts.js';
import { inGroupsOf } from '../infra/settled.js';

export interface CatalogSyncResult {
  stripe_account: string;
  merchant_ids: string[];
  products: number;
  prices: number;
  features: number;
  product_features: number;
}

/**
 * Copies the catalog (products, prices, features and which product grants which feature) of each
 * Stripe account that sells into the mirror: once for the platform (platform and destination
 * merchants share it) and once per connected account of a direct merchant. Lists 100 a page.
 */
@Injectable()
export class CatalogSyncService {
  private readonly logger = new Logger(CatalogSyncService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly catalog: CatalogMirrorRepository,
    private readonly gateway: StripeGateway,
    private readonly clock: Clock,
  ) {}

  async sync(merchantId?: string): Promise<CatalogSyncResult[]> {
    const merchants = await this.em.fork().find(Merchant, merchantId ? { id: merchantId } : { status: 'active' }, { orderBy: { id: 'asc' } });
    if (merchantId && merchants.length === 0) throw AppError.notFound('merchant_not_found', `No merchant "${merchantId}".`);
    const byAccount = groupByStripeAccount(merchants);
    const results: CatalogSyncResult[] = [];
    for (const [stripeAccount, group] of byAccount) results.push(await this.syncAccount(stripeAccount, group));
    return results;
  }

  /** The catalog of one Stripe account (the reconciler calls this for each account it re-syncs). */
  async syncAccount(stripeAccount: string, merchants: Merchant[]): Promise<CatalogSyncResult> {
    const options = this.gateway.options(merchants[0]!);
    const readAt = this.clock.nowSeconds();
    const [products, prices, features] = await Promise.all([
      this.gateway.call('products.list', (s) => everyItem(s.products.list({ limit: 100 }, options))),
      this.gateway.call('prices.list', (s) => everyItem(s.prices.list({ limit: 100 }, options))),
      this.gateway.call('entitlements.features.list', (s) => everyItem(s.entitlements.features.list({ limit: 100 }, options))),
    ]);
    let links = 0;
    const linksByProduct = new Map<string, Awaited<ReturnType<typeof this.listProductFeatures>>>();
    // A product's features are a call of their own: a few products at once rather than one round trip after another.
    const lists = await inGroupsOf(PRODUCT_FEATURE_CALLS_AT_ONCE, products, (product) => this.listProductFeatures(product.id, options));
    products.forEach((product, k) => {
      linksByProduct.set(product.id, lists[k]!);
      links += lists[k]!.length;
    });
    await transactionalWithRetry(this.em, async (tx) => {
      // The products' locks before any row, as a checkout refreshing one product's features takes them.
      await lockOwners(tx, stripeAccount, products.map((p) => ({ product: p.id })));
      for (const feature of features) await this.catalog.upsertFeature(tx, feature, stripeAccount);
      for (const product of products) {
        await this.catalog.upsertProduct(tx, product, stripeAccount, readAt, 'at-least');
        await this.catalog.replaceProductFeatures(tx, product.id, linksByProduct.get(product.id) ?? [], stripeAccount);
      }
      for (const price of prices) await this.catalog.upsertPrice(tx, price, stripeAccount, readAt, 'at-least');
    });
    this.logger.log(`catalog of ${stripeAccount}: ${products.length} products, ${prices.length} prices, ${features.length} features`);
    return { stripe_account: stripeAccount, merchant_ids: merchants.map((m) => m.id), products: products.length, prices: prices.length, features: features.length, product_features: links };
  }

  private listProductFeatures(productId: string, options: ReturnType<StripeGateway['options']>) {
    return this.gateway.call('products.listFeatures', (s) => everyItem(s.products.listFeatures(productId, { limit: 100 }, options)));
  }
}

/** Products whose features are listed at once in a catalog sync (a catalog of 50 products was 50 round trips in a row). */
const PRODUCT_FEATURE_CALLS_AT_ONCE = 4;

/**
 * Every item of a Stripe list, page after page. (`autoPagingToArray` refuses a limit above 10,000,
 * which a catalog of prices can pass; asking it for more failed every sync.)
 */
async function everyItem<T>(list: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of list) items.push(item);
  return items;
}
