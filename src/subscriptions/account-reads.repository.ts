import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type { ReadTarget } from '../infra/database/read-replicas.js';
import { exec } from '../infra/database/sql.js';
import type { CatalogPriceView, InvoiceView } from './account-reads.dto.js';

/** The invoices route answers with the newest ones only: a billing page lists recent history, not years of it. */
export const INVOICE_LIST_LIMIT = 100;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

interface InvoiceRow {
  id: string;
  subscription_id: string;
  status: string | null;
  billing_reason: string | null;
  currency: string;
  total: number | string;
  amount_due: number | string;
  amount_paid: number | string;
  amount_remaining: number | string;
  hosted_invoice_url: string | null;
  period_start: Date | null;
  period_end: Date | null;
  stripe_created: Date;
}

/**
 * Reads for an account's billing page that the subscription routes do not answer: the catalog it
 * may buy from, and its invoices. Both come from the mirror, never from Stripe.
 */
@Injectable()
export class AccountReadsRepository {
  /**
   * The catalog's prices with their products. The price and product rows are the catalog mirror's
   * (entitlements), read directly as the purchase rules read them: a read, in one statement, that
   * changes no owner's rows. Prices the mirror does not hold yet, archived or deleted ones, and
   * prices of another Stripe account than the merchant's are left out: they cannot be bought.
   */
  async catalog(em: EntityManager, priceIds: string[], stripeAccount: string, target: ReadTarget): Promise<CatalogPriceView[]> {
    if (priceIds.length === 0) return [];
    const rows = await exec<Omit<CatalogPriceView, 'unit_amount'> & { unit_amount: number | string | null }>(
      em,
      `select p.id as price_id, p.product_id, pr.name as product_name, pr.description as product_description, p.nickname,
              p.currency, p.unit_amount, p.interval, p.interval_count, p.usage_type, p.lookup_key
       from prices p join products pr on pr.id = p.product_id
       where p.id = any(?::text[]) and p.stripe_account = ? and p.active and not p.deleted and pr.active and not pr.deleted
       order by pr.name, pr.id,
                case p.interval when 'day' then 1 when 'week' then 2 when 'month' then 3 when 'year' then 4 else 5 end,
                p.interval_count, p.unit_amount, p.id`,
      [priceIds, stripeAccount],
      target,
    );
    return rows.map((r) => ({ ...r, unit_amount: r.unit_amount === null ? null : Number(r.unit_amount) }));
  }

  /** The newest invoices of the account's subscriptions to the application. */
  async invoices(em: EntityManager, accountId: string, applicationId: string, target: ReadTarget): Promise<InvoiceView[]> {
    const rows = await exec<InvoiceRow>(
      em,
      `select i.id, i.subscription_id, i.status, i.billing_reason, i.currency, i.total, i.amount_due, i.amount_paid, i.amount_remaining,
              i.hosted_invoice_url, i.period_start, i.period_end, i.stripe_created
       from invoices i join subscriptions s on s.id = i.subscription_id
       where s.account_id = ? and s.application_id = ?
       order by i.stripe_created desc, i.id desc
       limit ${INVOICE_LIST_LIMIT}`,
      [accountId, applicationId],
      target,
    );
    return rows.map((r) => ({
      id: r.id,
      subscription_id: r.subscription_id,
      status: r.status,
      billing_reason: r.billing_reason,
      currency: r.currency,
      total: Number(r.total),
      amount_due: Number(r.amount_due),
      amount_paid: Number(r.amount_paid),
      amount_remaining: Number(r.amount_remaining),
      hosted_invoice_url: r.hosted_invoice_url,
      period_start: iso(r.period_start),
      period_end: iso(r.period_end),
      created: iso(r.stripe_created)!,
    }));
  }
}
