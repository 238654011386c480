import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { isContracted } from './access-policy.js';
import type { SubscriptionItemView, SubscriptionView } from './subscriptions.dto.js';
import type { SubscriptionStatus } from './subscription.entity.js';
import { ENDED_STATUSES_SQL } from './access-policy.js';
import type { ReadTarget } from '../infra/database/read-replicas.js';
import { exec, sql } from '../infra/database/sql.js';

interface SubscriptionDbRow {
  id: string;
  status: SubscriptionStatus;
  application_id: string | null;
  merchant_id: string | null;
  customer_id: string;
  stripe_account: string;
  account_id: string | null;
  cancel_at_period_end: boolean;
  cancel_at: Date | null;
  canceled_at: Date | null;
  ended_at: Date | null;
  current_period_start: Date | null;
  current_period_end: Date | null;
  trial_end: Date | null;
  latest_invoice_id: string | null;
  latest_invoice_status: string | null;
  access_until: Date | null;
  stripe_created: Date;
  stripe_version: string;
}

export interface OwnedSubscription {
  id: string;
  status: SubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  stripeAccount: string;
  stripeVersion: number;
  licensedItem: { id: string; priceId: string; productId: string; quantity: number | null } | undefined;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** The columns the views read: named, so that the compressed Stripe object (`raw`) is never read along. */
const VIEW_COLUMNS = `id, status, application_id, merchant_id, customer_id, stripe_account, account_id, cancel_at_period_end, cancel_at,
  canceled_at, ended_at, current_period_start, current_period_end, trial_end, latest_invoice_id, latest_invoice_status, access_until,
  stripe_created, stripe_version`;

/** Reads of the subscription mirror for the account routes: a fixed number of queries whatever the account holds. */
@Injectable()
export class SubscriptionReadRepository {
  async listForAccount(em: EntityManager, accountId: string, applicationId: string, now: Date, target: ReadTarget = 'primary'): Promise<SubscriptionView[]> {
    const rows = await exec<SubscriptionDbRow>(
      em,
      `select ${VIEW_COLUMNS} from subscriptions where account_id = ? and application_id = ? order by stripe_created desc, id`,
      [accountId, applicationId],
      target,
    );
    return this.withItems(em, rows, now, target);
  }

  async view(em: EntityManager, subscriptionId: string, now: Date): Promise<SubscriptionView | undefined> {
    const rows = await sql(em).execute<SubscriptionDbRow[]>(`select ${VIEW_COLUMNS} from subscriptions where id = ?`, [subscriptionId]);
    return (await this.withItems(em, rows, now))[0];
  }

  /** A subscription of this account and application; undefined for anyone else's (the caller answers 404, not 403). */
  async findOwned(em: EntityManager, subscriptionId: string, accountId: string, applicationId: string): Promise<OwnedSubscription | undefined> {
    const rows = await sql(em).execute<SubscriptionDbRow[]>(`select ${VIEW_COLUMNS} from subscriptions where id = ? and account_id = ? and application_id = ?`, [subscriptionId, accountId, applicationId]);
    const row = rows[0];
    if (!row) return undefined;
    const items = await sql(em).execute<{ id: string; price_id: string; product_id: string; quantity: number | null; usage_type: string }[]>(
      'select id, price_id, product_id, quantity, usage_type from subscription_items where subscription_id = ? order by id',
      [row.id],
    );
    const licensed = items.find((i) => i.usage_type === 'licensed');
    return {
      id: row.id,
      status: row.status,
      cancelAtPeriodEnd: row.cancel_at_period_end,
      stripeAccount: row.stripe_account,
      stripeVersion: Number(row.stripe_version),
      licensedItem: licensed ? { id: licensed.id, priceId: licensed.price_id, productId: licensed.product_id, quantity: licensed.quantity } : undefined,
    };
  }

  /** Live subscriptions (not ended) of the account to a product, for the one-subscription-per-product rule. */
  async liveSubscriptionToProduct(em: EntityManager, accountId: string, applicationId: string, productId: string): Promise<string | undefined> {
    const rows = await sql(em).execute<{ id: string }[]>(
      `select s.id from subscriptions s join subscription_items i on i.subscription_id = s.id
       where s.account_id = ? and s.application_id = ? and i.product_id = ? and s.status not in ${ENDED_STATUSES_SQL}
       limit 1`,
      [accountId, applicationId, productId],
    );
    return rows[0]?.id;
  }

  private async withItems(em: EntityManager, rows: SubscriptionDbRow[], now: Date, target: ReadTarget = 'primary'): Promise<SubscriptionView[]> {
    if (rows.length === 0) return [];
    // From the same side as `rows`: a replica's items with the primary's subscriptions could disagree.
    const items = await exec<{ id: string; subscription_id: string; price_id: string; product_id: string; quantity: number | null; usage_type: string }>(
      em,
      `select id, subscription_id, price_id, product_id, quantity, usage_type from subscription_items where subscription_id in (${rows.map(() => '?').join(', ')}) order by id`,
      rows.map((r) => r.id),
      target,
    );
    const bySubscription = new Map<string, SubscriptionItemView[]>();
    for (const i of items) {
      const list = bySubscription.get(i.subscription_id) ?? [];
      list.push({ id: i.id, price_id: i.price_id, product_id: i.product_id, quantity: i.quantity, usage_type: i.usage_type });
      bySubscription.set(i.subscription_id, list);
    }
    return rows.map((r) => ({
      id: r.id,
      status: r.status,
      application_id: r.application_id,
      merchant_id: r.merchant_id,
      customer_id: r.customer_id,
      cancel_at_period_end: r.cancel_at_period_end,
      cancel_at: iso(r.cancel_at),
      canceled_at: iso(r.canceled_at),
      ended_at: iso(r.ended_at),
      current_period_start: iso(r.current_period_start),
      current_period_end: iso(r.current_period_end),
      trial_end: iso(r.trial_end),
      latest_invoice_id: r.latest_invoice_id,
      latest_invoice_status: r.latest_invoice_status,
      access_until: iso(r.access_until),
      has_access: r.access_until !== null && new Date(r.access_until).getTime() > now.getTime(),
      contracted: isContracted(r.status),
      items: bySubscription.get(r.id) ?? [],
      created: iso(r.stripe_created)!,
    }));
  }
}
