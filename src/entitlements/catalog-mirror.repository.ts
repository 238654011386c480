import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { lockOwners } from '../infra/stripe/object-locks.js';
import { versionGuard, type VersionMode } from '../infra/stripe/ordering.js';
import { idOf } from '../infra/stripe/accounts.js';
import { sql } from '../infra/database/sql.js';


/** A Stripe active entitlement as it appears in a summary or in the active entitlements list. */
export interface ActiveEntitlementFacts {
  id: string;
  featureId: string;
  lookupKey: string;
}

/**
 * Writes the catalog (products, prices, features, product features) and customers' active
 * entitlements, each under the same version guard as subscriptions: a write only replaces an
 * older version (`at-least` also the same one, for objects fetched from Stripe).
 */
@Injectable()
export class CatalogMirrorRepository {
  async upsertProduct(em: EntityManager, product: Stripe.Product | Stripe.DeletedProduct, stripeAccount: string, version: number, mode: VersionMode = 'newer'): Promise<boolean> {
    const guard = versionGuard(mode);
    if ('deleted' in product && product.deleted) {
      const rows = await sql(em).execute<{ id: string }[]>(`update products set deleted = true, active = false, stripe_version = ?, updated_at = now() where id = ? and stripe_version ${guard} ? returning id`, [version, product.id, version]);
      return rows.length > 0;
    }
    const p = product as Stripe.Product;
    const rows = await sql(em).execute<{ id: string }[]>(
      `insert into products (id, stripe_account, name, description, active, metadata, deleted, stripe_version, updated_at)
       values (?, ?, ?, ?, ?, ?::jsonb, false, ?, now())
       on conflict (id) do update set name = excluded.name, description = excluded.description, active = excluded.active,
         metadata = excluded.metadata, deleted = false, stripe_version = excluded.stripe_version, updated_at = now()
       where products.stripe_version ${guard} excluded.stripe_version
       returning id`,
      [p.id, stripeAccount, p.name, p.description ?? null, p.active, JSON.stringify(p.metadata ?? {}), version],
    );
    return rows.length > 0;
  }

  async upsertPrice(em: EntityManager, price: Stripe.Price | Stripe.DeletedPrice, stripeAccount: string, version: number, mode: VersionMode = 'newer'): Promise<boolean> {
    const guard = versionGuard(mode);
    if ('deleted' in price && price.deleted) {
      const rows = await sql(em).execute<{ id: string }[]>(`update prices set deleted = true, active = false, stripe_version = ?, updated_at = now() where id = ? and stripe_version ${guard} ? returning id`, [version, price.id, version]);
      return rows.length > 0;
    }
    const p = price as Stripe.Price;
    const rows = await sql(em).execute<{ id: string }[]>(
      `insert into prices (id, stripe_account, product_id, active, currency, unit_amount, interval, interval_count, usage_type, lookup_key, nickname, tax_behavior, metadata, deleted, stripe_version, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, false, ?, now())
       on conflict (id) do update set product_id = excluded.product_id, active = excluded.active, currency = excluded.currency,
         unit_amount = excluded.unit_amount, interval = excluded.interval, interval_count = excluded.interval_count,
         usage_type = excluded.usage_type, lookup_key = excluded.lookup_key, nickname = excluded.nickname,
         tax_behavior = excluded.tax_behavior, metadata = excluded.metadata, deleted = false,
         stripe_version = excluded.stripe_version, updated_at = now()
       where prices.stripe_version ${guard} excluded.stripe_version
       returning id`,
      [
        p.id, stripeAccount, idOf(p.product), p.active, p.currency, p.unit_amount ?? null, p.recurring?.interval ?? null,
        p.recurring?.interval_count ?? null, p.recurring ? (p.recurring.usage_type ?? 'licensed') : null, p.lookup_key ?? null,
        p.nickname ?? null, p.tax_behavior ?? null, JSON.stringify(p.metadata ?? {}), version,
      ],
    );
    return rows.length > 0;
  }

  /** Stored version of a product or price (undefined: not mirrored). */
  async storedVersion(em: EntityManager, table: 'products' | 'prices', id: string): Promise<number | undefined> {
    const rows = await sql(em).execute<{ stripe_version: string }[]>(`select stripe_version from ${table} where id = ?`, [id]);
    return rows[0] ? Number(rows[0].stripe_version) : undefined;
  }

  async upsertFeature(em: EntityManager, feature: Stripe.Entitlements.Feature, stripeAccount: string): Promise<void> {
    await sql(em).execute(
      `insert into features (id, stripe_account, lookup_key, name, active, metadata, updated_at) values (?, ?, ?, ?, ?, ?::jsonb, now())
       on conflict (id) do update set lookup_key = excluded.lookup_key, name = excluded.name, active = excluded.active, metadata = excluded.metadata, updated_at = now()`,
      [feature.id, stripeAccount, feature.lookup_key, feature.name, feature.active, JSON.stringify(feature.metadata ?? {})],
    );
  }

  /**
   * Replaces the features a product grants (a catalog sync lists them per product; a checkout
   * refreshes its product's). Under the product's lock, so that concurrent checkouts of one product
   * replace its links one after the other instead of deadlocking on each other's rows; features in
   * id order, so that two products sharing features lock those rows in one order.
   */
  async replaceProductFeatures(em: EntityManager, productId: string, links: Stripe.ProductFeature[], stripeAccount: string): Promise<void> {
    await lockOwners(em, stripeAccount, [{ product: productId }]);
    await sql(em).execute('delete from product_features where product_id = ?', [productId]);
    for (const link of [...links].sort((a, b) => (a.entitlement_feature.id < b.entitlement_feature.id ? -1 : 1))) {
      await this.upsertFeature(em, link.entitlement_feature, stripeAccount);
      await sql(em).execute(
        'insert into product_features (id, stripe_account, product_id, feature_id) values (?, ?, ?, ?) on conflict do nothing',
        [link.id, stripeAccount, productId, link.entitlement_feature.id],
      );
    }
  }

  /** Stored version of a customer's entitlement summary (undefined: none yet). */
  async entitlementVersion(em: EntityManager, stripeAccount: string, customerId: string): Promise<number | undefined> {
    const rows = await sql(em).execute<{ stripe_version: string }[]>('select stripe_version from entitlement_summaries where stripe_account = ? and customer_id = ?', [stripeAccount, customerId]);
    return rows[0] ? Number(rows[0].stripe_version) : undefined;
  }

  /**
   * Replaces a customer's active entitlements with a summary of Stripe time `version`, unless a
   * newer one is stored (the caller holds the customer's lock and has read the stored version, so
   * this guard only matters for a writer that did not); returns whether it was written.
   */
  async replaceActiveEntitlements(em: EntityManager, stripeAccount: string, customerId: string, entitlements: ActiveEntitlementFacts[], version: number): Promise<boolean> {
    const written = await sql(em).execute<{ customer_id: string }[]>(
      `insert into entitlement_summaries (stripe_account, customer_id, stripe_version, updated_at) values (?, ?, ?, now())
       on conflict (stripe_account, customer_id) do update set stripe_version = excluded.stripe_version, updated_at = now()
       where entitlement_summaries.stripe_version <= excluded.stripe_version
       returning customer_id`,
      [stripeAccount, customerId, version],
    );
    if (written.length === 0) return false;
    await sql(em).execute('delete from active_entitlements where stripe_account = ? and customer_id = ?', [stripeAccount, customerId]);
    for (const e of entitlements) {
      await sql(em).execute(
        `insert into active_entitlements (id, stripe_account, customer_id, feature_id, lookup_key, stripe_version) values (?, ?, ?, ?, ?, ?)
         on conflict (id) do update set customer_id = excluded.customer_id, feature_id = excluded.feature_id, lookup_key = excluded.lookup_key, stripe_version = excluded.stripe_version`,
        [e.id, stripeAccount, customerId, e.featureId, e.lookupKey, version],
      );
    }
    return true;
  }
}
