import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { exec, sql } from '../infra/database/sql.js';

/** Customer metadata keys that name the account: ours, and the one the freee app store sets. */
export const ACCOUNT_METADATA_KEYS = ['account_id', 'f_company_id'] as const;

export function accountFromMetadata(metadata: Record<string, string> | null | undefined): string | null {
  for (const key of ACCOUNT_METADATA_KEYS) {
    const value = metadata?.[key];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return null;
}

export interface CustomerFacts {
  stripeAccount: string;
  customerId: string;
  email?: string | null;
  name?: string | null;
}

/**
 * How a new link meets the account's existing one (link and linkMany alike): one customer per
 * account and Stripe account; a live link is kept, only a deleted customer's link is replaced, so
 * that a late event of a replaced customer cannot take the account back.
 */
const ON_LINK_CONFLICT = `on conflict (account_id, stripe_account) do update set
         stripe_customer_id = excluded.stripe_customer_id,
         email = coalesce(excluded.email, identities.email),
         name = coalesce(excluded.name, identities.name),
         deleted_at = null, updated_at = now()
       where identities.deleted_at is not null or identities.stripe_customer_id = excluded.stripe_customer_id
       returning stripe_customer_id`;

/**
 * Subscription Identity: which Stripe customer stands for an account, per Stripe account.
 * A link, once made, is not moved to another account silently: a customer already linked to one
 * account stays with it (and the conflict is logged), so a forged metadata value cannot take over
 * another company's billing.
 */
@Injectable()
export class IdentityService {
  private readonly logger = new Logger(IdentityService.name);

  async accountOf(em: EntityManager, stripeAccount: string, customerId: string): Promise<string | null> {
    const rows = await sql(em).execute<{ account_id: string }[]>(
      'select account_id from identities where stripe_account = ? and stripe_customer_id = ?',
      [stripeAccount, customerId],
    );
    return rows[0]?.account_id ?? null;
  }

  /** The accounts of many customers of one Stripe account, in one read. */
  async accountsOf(em: EntityManager, stripeAccount: string, customerIds: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(customerIds)];
    if (unique.length === 0) return new Map();
    const rows = await sql(em).execute<{ stripe_customer_id: string; account_id: string }[]>(
      `select stripe_customer_id, account_id from identities where stripe_account = ? and stripe_customer_id in (${unique.map(() => '?').join(', ')})`,
      [stripeAccount, ...unique],
    );
    return new Map(rows.map((r) => [r.stripe_customer_id, r.account_id]));
  }

  async customerOf(em: EntityManager, accountId: string, stripeAccount: string): Promise<{ customerId: string; email: string | null; name: string | null; deleted: boolean } | null> {
    const rows = await sql(em).execute<{ stripe_customer_id: string; email: string | null; name: string | null; deleted_at: Date | null }[]>(
      'select stripe_customer_id, email, name, deleted_at from identities where account_id = ? and stripe_account = ?',
      [accountId, stripeAccount],
    );
    const row = rows[0];
    return row ? { customerId: row.stripe_customer_id, email: row.email, name: row.name, deleted: row.deleted_at !== null } : null;
  }

  /** Links an account to a customer; returns the account the customer is linked to afterwards. */
  async link(em: EntityManager, accountId: string, customer: CustomerFacts): Promise<string> {
    const existing = await this.accountOf(em, customer.stripeAccount, customer.customerId);
    if (existing && existing !== accountId) {
      this.logger.warn(`customer ${customer.customerId} is linked to another account; link to ${accountId} refused`);
      return existing;
    }
    const linked = await sql(em).execute<{ stripe_customer_id: string }[]>(
      `insert into identities (id, account_id, stripe_account, stripe_customer_id, email, name, deleted_at, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, null, now(), now())
       ${ON_LINK_CONFLICT}`,
      [crypto.randomUUID(), accountId, customer.stripeAccount, customer.customerId, customer.email ?? null, customer.name ?? null],
    );
    if (linked.length === 0) this.logger.warn(`account ${accountId} keeps its live customer; ${customer.customerId} not linked`);
    return accountId;
  }

  /**
   * `link` for many customers of one Stripe account at once (a batch of webhook events, a reconcile's
   * page), with the same outcome as `link` one by one in their order, the new links written in one
   * statement. `known` is what `accountsOf` answered for these customers in the caller's transaction
   * (the caller read it to find who needs a link; it is not read twice). Returns the account each
   * link's customer stands for afterwards, in their order.
   */
  async linkMany(em: EntityManager, stripeAccount: string, links: readonly { accountId: string; customer: Omit<CustomerFacts, 'stripeAccount'> }[], known: ReadonlyMap<string, string>): Promise<string[]> {
    const linkedTo = new Map(known);
    // What `link` one by one would do, decided here: a customer linked already (before, or earlier
    // in this list) keeps its account; an account linked earlier in this list keeps that customer.
    const customerOf = new Map<string, string>();
    const rows: { id: string; accountId: string; customerId: string; email: string | null; name: string | null }[] = [];
    const accounts = links.map(({ accountId, customer }) => {
      const linked = linkedTo.get(customer.customerId);
      if (linked !== undefined) {
        if (linked !== accountId) this.logger.warn(`customer ${customer.customerId} is linked to another account; link to ${accountId} refused`);
        return linked;
      }
      if (customerOf.has(accountId)) {
        this.logger.warn(`account ${accountId} keeps its live customer; ${customer.customerId} not linked`);
        return accountId;
      }
      customerOf.set(accountId, customer.customerId);
      linkedTo.set(customer.customerId, accountId);
      rows.push({ id: crypto.randomUUID(), accountId, customerId: customer.customerId, email: customer.email ?? null, name: customer.name ?? null });
      return accountId;
    });
    if (rows.length === 0) return accounts;
    // `link`'s upsert, for every new link at once.
    const linked = await exec<{ stripe_customer_id: string }>(
      em,
      `insert into identities (id, account_id, stripe_account, stripe_customer_id, email, name, deleted_at, created_at, updated_at)
       select l.id, l.account_id, ?, l.customer_id, l.email, l.name, null, now(), now()
       from unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[]) as l(id, account_id, customer_id, email, name)
       ${ON_LINK_CONFLICT}`,
      [stripeAccount, rows.map((r) => r.id), rows.map((r) => r.accountId), rows.map((r) => r.customerId), rows.map((r) => r.email), rows.map((r) => r.name)],
    );
    const done = new Set(linked.map((r) => r.stripe_customer_id));
    for (const r of rows) if (!done.has(r.customerId)) this.logger.warn(`account ${r.accountId} keeps its live customer; ${r.customerId} not linked`);
    return accounts;
  }

  /** Keeps email and name current (customer.updated). */
  async updateCustomer(em: EntityManager, customer: CustomerFacts): Promise<void> {
    await sql(em).execute(
      'update identities set email = ?, name = ?, updated_at = now() where stripe_account = ? and stripe_customer_id = ?',
      [customer.email ?? null, customer.name ?? null, customer.stripeAccount, customer.customerId],
    );
  }

  /**
   * Customers Stripe reports deleted (customer.deleted, or a listing that expands one as deleted):
   * their links stay for history but no longer resolve for new purchases. The first report's time
   * is kept.
   */
  async markDeleted(em: EntityManager, stripeAccount: string, customerIds: string | readonly string[], at: Date): Promise<void> {
    const ids = [...new Set(typeof customerIds === 'string' ? [customerIds] : customerIds)];
    if (ids.length === 0) return;
    await exec(
      em,
      'update identities set deleted_at = ?, updated_at = now() where stripe_account = ? and deleted_at is null and stripe_customer_id = any(?::text[])',
      [at, stripeAccount, ids],
    );
  }
}
