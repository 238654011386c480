import { hash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { exec, unnestRows } from '../infra/database/sql.js';
import { versionGuard, type VersionMode } from '../infra/stripe/ordering.js';
import { DEFAULT_GRACE_DAYS } from '../tenancy/application.entity.js';
import { accessUntil } from './access-policy.js';
import type { SubscriptionStatus } from './subscription.entity.js';
import type { InvoiceRow, SubscriptionRow } from './stripe-objects.js';

/** Where a mirrored object belongs: its Stripe account, merchant, application and account. */
export interface MirrorContext {
  stripeAccount: string;
  merchantId: string | null;
  applicationId: string | null;
  accountId: string | null;
}


export interface MirrorEntry {
  row: SubscriptionRow;
  ctx: MirrorContext;
  /** The object stored in `raw`; or `stored`, its text and hash already made (`canonicalRaw`). */
  raw?: unknown;
  stored?: CanonicalRaw;
  /** The version this entry is written at, when it is not the batch's (a batch of events, each of its own time). */
  version?: number;
}

export type UpsertOutcome = 'created' | 'updated' | 'unchanged' | 'stale';


/**
 * Writes the subscription mirror with plain SQL: one conditional upsert per object, guarded by the
 * stored version so that two workers (or a worker and the reconciler) racing on one subscription
 * cannot let the older state win. No foreign keys between mirrored tables: events come in any order.
 */
@Injectable()
export class SubscriptionMirrorRepository {
  /** Stored version of a subscription (0 when it is not mirrored yet). */
  async versionOf(em: EntityManager, subscriptionId: string): Promise<number | undefined> {
    const rows = await exec<{ stripe_version: string }>(em, 'select stripe_version from subscriptions where id = ?', [subscriptionId]);
    return rows[0] ? Number(rows[0].stripe_version) : undefined;
  }

  /** Stored versions of many subscriptions in one read (absent: not mirrored yet). */
  async versionsOf(em: EntityManager, subscriptionIds: readonly string[]): Promise<Map<string, number>> {
    return versionsIn(em, 'subscriptions', subscriptionIds);
  }

  /** Stored versions of many invoices in one read (absent: not mirrored yet). */
  async invoiceVersionsOf(em: EntityManager, invoiceIds: readonly string[]): Promise<Map<string, number>> {
    return versionsIn(em, 'invoices', invoiceIds);
  }

  /** Upserts the subscription and its items if `version` passes the guard; returns whether it was written. */
  async upsertSubscription(em: EntityManager, row: SubscriptionRow, ctx: MirrorContext, version: number, mode: VersionMode, raw: unknown): Promise<boolean> {
    const outcome = (await this.upsertSubscriptions(em, [{ row, ctx, raw }], version, mode)).get(row.id);
    return outcome === 'created' || outcome === 'updated';
  }

  /**
   * The same for a batch (a page of a listing): one statement for the subscriptions, two for their
   * items. With `skipUnchanged`, a subscription whose stored object is already identical (same
   * `raw_hash`, same account) is not rewritten: one statement first moves only its version on,
   * and only the others are sent whole. The outcome tells created, updated, unchanged, and stale
   * (a newer state is stored: left alone).
   */
  async upsertSubscriptions(em: EntityManager, entries: MirrorEntry[], version: number, mode: VersionMode, options: { skipUnchanged?: boolean } = {}): Promise<Map<string, UpsertOutcome>> {
    const unique = [...new Map(entries.map((e) => [e.row.id, e])).values()];
    const outcome = new Map<string, UpsertOutcome>(unique.map((e) => [e.row.id, 'stale']));
    if (unique.length === 0) return outcome;
    const guard = versionGuard(mode);
    const prepared = unique.map((entry) => {
      const { text, hash } = entry.stored ?? canonicalRaw(entry.raw);
      return { row: entry.row, ctx: entry.ctx, version: entry.version ?? version, raw: text, rawHash: hash };
    });
    const states = await this.storedStatesAndAccess(em, prepared);
    const access = (id: string) => states.get(id)!.access;
    let changed = prepared;
    if (options.skipUnchanged) {
      // Same object and account as stored: only the version (and the access, recomputed for it) move
      // on, where the guard lets this version in. The hash is checked again in the statement, in case
      // a webhook wrote in between; a row it refuses goes on to the upsert, which applies the guard too.
      const same = prepared.filter((e) => {
        const stored = states.get(e.row.id)!;
        return stored.raw_hash === e.rawHash && (e.ctx.accountId === null || stored.account_id === e.ctx.accountId);
      });
      if (same.length) {
        const v = unnestRows(same, [
          ['id', 'text', (e) => e.row.id],
          ['version', 'bigint', (e) => e.version],
          ['raw_hash', 'text', (e) => e.rawHash],
          ['access_until', 'timestamptz', (e) => access(e.row.id).accessUntil],
          ['first_failed', 'timestamptz', (e) => access(e.row.id).firstFailedPaymentAt],
          ['latest_status', 'text', (e) => access(e.row.id).latestInvoiceStatus],
        ]);
        const unchanged = await exec<{ id: string }>(
          em,
          `update subscriptions as s set stripe_version = v.version, missing_in_stripe_at = null,
             access_until = v.access_until, first_failed_payment_at = v.first_failed, latest_invoice_status = v.latest_status
           from ${v.sql}
           where s.id = v.id and s.raw_hash = v.raw_hash and s.stripe_version ${guard} v.version
           returning s.id`,
          v.params,
        );
        for (const u of unchanged) outcome.set(u.id, 'unchanged');
      }
      changed = prepared.filter((e) => outcome.get(e.row.id) !== 'unchanged');
      if (changed.length === 0) return outcome;
    }
    const v = unnestRows(changed, [
      ['id', 'text', (e) => e.row.id],
      ['stripe_account', 'text', (e) => e.ctx.stripeAccount],
      ['merchant_id', 'text', (e) => e.ctx.merchantId],
      ['application_id', 'text', (e) => e.ctx.applicationId],
      ['account_id', 'text', (e) => e.ctx.accountId],
      ['customer_id', 'text', (e) => e.row.customerId],
      ['status', 'text', (e) => e.row.status],
      ['cancel_at_period_end', 'boolean', (e) => e.row.cancelAtPeriodEnd],
      ['cancel_at', 'timestamptz', (e) => e.row.cancelAt],
      ['canceled_at', 'timestamptz', (e) => e.row.canceledAt],
      ['ended_at', 'timestamptz', (e) => e.row.endedAt],
      ['current_period_start', 'timestamptz', (e) => e.row.currentPeriodStart],
      ['current_period_end', 'timestamptz', (e) => e.row.currentPeriodEnd],
      ['trial_start', 'timestamptz', (e) => e.row.trialStart],
      ['trial_end', 'timestamptz', (e) => e.row.trialEnd],
      ['latest_invoice_id', 'text', (e) => e.row.latestInvoiceId],
      ['stripe_created', 'timestamptz', (e) => e.row.stripeCreated],
      ['stripe_version', 'bigint', (e) => e.version],
      ['metadata', 'jsonb', (e) => JSON.stringify(e.row.metadata)],
      ['raw', 'jsonb', (e) => e.raw],
      ['raw_hash', 'text', (e) => e.rawHash],
      ['access_until', 'timestamptz', (e) => access(e.row.id).accessUntil],
      ['first_failed_payment_at', 'timestamptz', (e) => access(e.row.id).firstFailedPaymentAt],
      ['latest_invoice_status', 'text', (e) => access(e.row.id).latestInvoiceStatus],
    ]);
    const written = await exec<{ id: string; inserted: boolean }>(
      em,
      `insert into subscriptions (id, stripe_account, merchant_id, application_id, account_id, customer_id, status, cancel_at_period_end,
         cancel_at, canceled_at, ended_at, current_period_start, current_period_end, trial_start, trial_end, latest_invoice_id,
         stripe_created, stripe_version, metadata, raw, raw_hash, access_until, first_failed_payment_at, latest_invoice_status,
         missing_in_stripe_at, created_at, updated_at)
       select v.id, v.stripe_account, v.merchant_id, v.application_id, v.account_id, v.customer_id, v.status, v.cancel_at_period_end,
         v.cancel_at, v.canceled_at, v.ended_at, v.current_period_start, v.current_period_end, v.trial_start, v.trial_end, v.latest_invoice_id,
         v.stripe_created, v.stripe_version, v.metadata, v.raw, v.raw_hash, v.access_until, v.first_failed_payment_at, v.latest_invoice_status,
         null, now(), now()
       from ${v.sql}
       on conflict (id) do update set
         stripe_account = excluded.stripe_account,
         merchant_id = coalesce(excluded.merchant_id, subscriptions.merchant_id),
         application_id = coalesce(excluded.application_id, subscriptions.application_id),
         account_id = coalesce(excluded.account_id, subscriptions.account_id),
         customer_id = excluded.customer_id, status = excluded.status, cancel_at_period_end = excluded.cancel_at_period_end,
         cancel_at = excluded.cancel_at, canceled_at = excluded.canceled_at, ended_at = excluded.ended_at,
         current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end,
         trial_start = excluded.trial_start, trial_end = excluded.trial_end, latest_invoice_id = excluded.latest_invoice_id,
         stripe_created = excluded.stripe_created, stripe_version = excluded.stripe_version, metadata = excluded.metadata,
         raw = excluded.raw, raw_hash = excluded.raw_hash, access_until = excluded.access_until,
         first_failed_payment_at = excluded.first_failed_payment_at, latest_invoice_status = excluded.latest_invoice_status,
         missing_in_stripe_at = null, updated_at = now()
       where subscriptions.stripe_version ${guard} excluded.stripe_version
       returning id, (xmax = 0) as inserted`,
      v.params,
    );
    for (const w of written) outcome.set(w.id, w.inserted ? 'created' : 'updated');
    // A subscription just created has no items stored yet: only the updated ones have theirs replaced.
    const writtenRows = changed.filter((e) => outcome.get(e.row.id) === 'created' || outcome.get(e.row.id) === 'updated');
    await this.replaceItems(em, writtenRows.map((e) => e.row), new Set(written.filter((w) => w.inserted).map((w) => w.id)));
    return outcome;
  }

  private async replaceItems(em: EntityManager, rows: SubscriptionRow[], created: Set<string>): Promise<void> {
    if (rows.length === 0) return;
    const updated = rows.filter((r) => !created.has(r.id)).map((r) => r.id);
    if (updated.length) await exec(em, 'delete from subscription_items where subscription_id = any(?::text[])', [updated]);
    const items = rows.flatMap((row) => row.items.map((item) => ({ ...item, subscriptionId: row.id })));
    if (items.length === 0) return;
    const v = unnestRows(items, [
      ['id', 'text', (i) => i.id],
      ['subscription_id', 'text', (i) => i.subscriptionId],
      ['price_id', 'text', (i) => i.priceId],
      ['product_id', 'text', (i) => i.productId],
      ['quantity', 'int', (i) => i.quantity],
      ['usage_type', 'text', (i) => i.usageType],
      ['current_period_start', 'timestamptz', (i) => i.currentPeriodStart],
      ['current_period_end', 'timestamptz', (i) => i.currentPeriodEnd],
    ]);
    // An item id moves with its subscription, but be safe against a stale row of another subscription.
    await exec(
      em,
      `insert into subscription_items (id, subscription_id, price_id, product_id, quantity, usage_type, current_period_start, current_period_end)
       select v.id, v.subscription_id, v.price_id, v.product_id, v.quantity, v.usage_type, v.current_period_start, v.current_period_end from ${v.sql}
       on conflict (id) do update set subscription_id = excluded.subscription_id, price_id = excluded.price_id, product_id = excluded.product_id,
         quantity = excluded.quantity, usage_type = excluded.usage_type, current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end`,
      v.params,
    );
  }

  /** Upserts an invoice under the same version guard as subscriptions. */
  async upsertInvoice(em: EntityManager, row: InvoiceRow, stripeAccount: string, version: number, mode: VersionMode): Promise<boolean> {
    return (await this.upsertInvoices(em, [row], stripeAccount, version, mode)).length > 0;
  }

  /** The same for a batch, all at one version or each at its own (`version` of the row); returns the ids written. */
  async upsertInvoices(em: EntityManager, rows: InvoiceRow[], stripeAccount: string, version: number | ((row: InvoiceRow) => number), mode: VersionMode): Promise<string[]> {
    const versionOfRow = typeof version === 'number' ? () => version : version;
    const unique = [...new Map(rows.map((r) => [r.id, r])).values()];
    if (unique.length === 0) return [];
    const guard = versionGuard(mode);
    const v = unnestRows(unique, [
      ['id', 'text', (r) => r.id],
      ['subscription_id', 'text', (r) => r.subscriptionId],
      ['customer_id', 'text', (r) => r.customerId],
      ['status', 'text', (r) => r.status],
      ['billing_reason', 'text', (r) => r.billingReason],
      ['currency', 'text', (r) => r.currency],
      ['amount_due', 'bigint', (r) => r.amountDue],
      ['amount_paid', 'bigint', (r) => r.amountPaid],
      ['amount_remaining', 'bigint', (r) => r.amountRemaining],
      ['total', 'bigint', (r) => r.total],
      ['hosted_invoice_url', 'text', (r) => r.hostedInvoiceUrl],
      ['period_start', 'timestamptz', (r) => r.periodStart],
      ['period_end', 'timestamptz', (r) => r.periodEnd],
      ['attempt_count', 'int', (r) => r.attemptCount],
      ['next_payment_attempt', 'timestamptz', (r) => r.nextPaymentAttempt],
      ['stripe_created', 'timestamptz', (r) => r.stripeCreated],
      ['stripe_version', 'bigint', versionOfRow],
    ]);
    const written = await exec<{ id: string }>(
      em,
      `insert into invoices (id, stripe_account, subscription_id, customer_id, status, billing_reason, currency, amount_due, amount_paid,
         amount_remaining, total, hosted_invoice_url, period_start, period_end, attempt_count, next_payment_attempt, stripe_created,
         stripe_version, created_at, updated_at)
       select v.id, ?::text, v.subscription_id, v.customer_id, v.status, v.billing_reason, v.currency, v.amount_due, v.amount_paid,
         v.amount_remaining, v.total, v.hosted_invoice_url, v.period_start, v.period_end, v.attempt_count, v.next_payment_attempt, v.stripe_created,
         v.stripe_version, now(), now()
       from ${v.sql}
       on conflict (id) do update set
         subscription_id = coalesce(excluded.subscription_id, invoices.subscription_id), status = excluded.status,
         billing_reason = excluded.billing_reason, currency = excluded.currency, amount_due = excluded.amount_due,
         amount_paid = excluded.amount_paid, amount_remaining = excluded.amount_remaining, total = excluded.total,
         hosted_invoice_url = excluded.hosted_invoice_url, period_start = excluded.period_start, period_end = excluded.period_end,
         attempt_count = excluded.attempt_count, next_payment_attempt = excluded.next_payment_attempt,
         stripe_version = excluded.stripe_version, updated_at = now()
       where invoices.stripe_version ${guard} excluded.stripe_version
       returning id`,
      [stripeAccount, ...v.params],
    );
    return written.map((w) => w.id);
  }

  /**
   * For subscriptions about to be written: what is stored of each (its object's hash and account;
   * nulls when new) and its access in the new state, from the facts stored beside it (the
   * same facts `refreshAccess` reads), so that a write carries its access with it rather than being
   * followed by a second write of every row. The application and merchant are the ones the write
   * will keep: the given ones, else the stored ones.
   */
  private async storedStatesAndAccess(em: EntityManager, entries: (MirrorEntry & { version: number })[]): Promise<Map<string, StoredState & { access: AccessFields }>> {
    const v = unnestRows(entries, [
      ['id', 'text', (e) => e.row.id],
      ['version', 'bigint', (e) => e.version],
      ['latest_invoice_id', 'text', (e) => e.row.latestInvoiceId],
      ['application_id', 'text', (e) => e.ctx.applicationId],
      ['merchant_id', 'text', (e) => e.ctx.merchantId],
    ]);
    const facts = await exec<AccessFacts & StoredState & { id: string }>(
      em,
      `select v.id, s.raw_hash, s.account_id, a.past_due_grace_days as grace_days, m.status as merchant_status,
         ${invoiceFacts('v.id', 'to_timestamp(v.version)', 'v.latest_invoice_id')}
       from ${v.sql}
       left join subscriptions s on s.id = v.id
       left join applications a on a.id = coalesce(v.application_id, s.application_id)
       left join merchants m on m.id = coalesce(v.merchant_id, s.merchant_id)`,
      v.params,
    );
    const byId = new Map(facts.map((f) => [f.id, f]));
    return new Map(entries.map((e) => {
      const f = byId.get(e.row.id)!;
      return [e.row.id, { raw_hash: f.raw_hash, account_id: f.account_id, access: accessFields(e.row, f) }];
    }));
  }

  /**
   * Recomputes `access_until` (and the facts it rests on) of subscriptions from the mirror, after
   * a write of something else they depend on (an invoice). Writes of the subscription itself carry
   * their access already (`storedStatesAndAccess`). Only rows whose access comes out different are
   * written.
   */
  async refreshAccess(em: EntityManager, subscriptionIds: string | string[]): Promise<void> {
    const ids = [...new Set(Array.isArray(subscriptionIds) ? subscriptionIds : [subscriptionIds])];
    if (ids.length === 0) return;
    const rows = await exec<
      AccessFacts & { id: string; status: string; current_period_start: Date | string | null; current_period_end: Date | string | null } & StoredAccess
    >(
      em,
      `select s.id, s.status, s.current_period_start, s.current_period_end, a.past_due_grace_days as grace_days,
         s.access_until as stored_access_until, s.first_failed_payment_at as stored_first_failed, s.latest_invoice_status as stored_latest_status,
         ${invoiceFacts('s.id', 'to_timestamp(s.stripe_version)', 's.latest_invoice_id')},
         m.status as merchant_status
       from subscriptions s left join applications a on a.id = s.application_id left join merchants m on m.id = s.merchant_id
       where s.id in (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    const updates = rows.flatMap((row) => {
      const fields = accessFields({ status: row.status, currentPeriodStart: toDate(row.current_period_start), currentPeriodEnd: toDate(row.current_period_end) }, row);
      return sameAccess(fields, row) ? [] : [[row.id, fields.accessUntil, fields.firstFailedPaymentAt, fields.latestInvoiceStatus]];
    });
    if (updates.length === 0) return;
    await exec(
      em,
      `update subscriptions as s set access_until = v.access_until, first_failed_payment_at = v.first_failed, latest_invoice_status = v.latest_status
       from (values ${updates.map(() => '(?, ?::timestamptz, ?::timestamptz, ?::text)').join(', ')}) as v(id, access_until, first_failed, latest_status)
       where s.id = v.id`,
      updates.flat(),
    );
  }

  /**
   * Subscriptions of a customer mirrored before the customer was linked to an account (Stripe does
   * not order events) take that account; ones that have an account keep it.
   */
  async assignAccount(em: EntityManager, stripeAccount: string, customerId: string, accountId: string): Promise<void> {
    await exec(em, 'update subscriptions set account_id = ? where stripe_account = ? and customer_id = ? and account_id is null', [accountId, stripeAccount, customerId]);
  }

  /**
   * A Stripe account left the platform (account.application.deauthorized): its subscriptions, and
   * those of its merchants on the platform's account (destination charges), grant nothing any more.
   * Later writes keep it so: their access is computed with the merchant's status.
   */
  async revokeAccessForStripeAccount(em: EntityManager, stripeAccount: string, merchantIds: readonly string[]): Promise<void> {
    await exec(em, 'update subscriptions set access_until = null, updated_at = now() where stripe_account = ? or merchant_id = any(?::text[])', [stripeAccount, merchantIds]);
  }

  /** How many subscriptions the mirror holds on a Stripe account (a reconcile's guess of how many it will list). */
  async countOnStripeAccount(em: EntityManager, stripeAccount: string): Promise<number> {
    const [row] = await exec<{ n: number }>(em, 'select count(*)::int as n from subscriptions where stripe_account = ?', [stripeAccount]);
    return Number(row!.n);
  }

  /**
   * The `created` (unix seconds) that cut the mirrored subscriptions of a Stripe account into
   * `parts` of about equal count, ascending and distinct (fewer when many share a second; none
   * when the mirror holds none): where a reconcile splits its listing.
   */
  async createdQuantiles(em: EntityManager, stripeAccount: string, parts: number): Promise<number[]> {
    if (parts < 2) return [];
    const fractions = Array.from({ length: parts - 1 }, (_, i) => (i + 1) / parts);
    const [row] = await exec<{ bounds: (string | number)[] | null }>(
      em,
      'select percentile_disc(?::float8[]) within group (order by extract(epoch from stripe_created)::bigint) as bounds from subscriptions where stripe_account = ?',
      [fractions, stripeAccount],
    );
    return [...new Set((row?.bounds ?? []).map(Number))].sort((a, b) => a - b);
  }

  /** The ids of the mirrored subscriptions on a Stripe account, of one account or one merchant when given. */
  async idsOnStripeAccount(em: EntityManager, stripeAccount: string, only: { accountId?: string; merchantId?: string } = {}): Promise<string[]> {
    const params: unknown[] = [stripeAccount];
    let where = 'stripe_account = ?';
    if (only.accountId !== undefined) {
      where += ' and account_id = ?';
      params.push(only.accountId);
    }
    if (only.merchantId !== undefined) {
      where += ' and merchant_id = ?';
      params.push(only.merchantId);
    }
    return (await exec<{ id: string }>(em, `select id from subscriptions where ${where}`, params)).map((r) => r.id);
  }

  /** The customers of an account's mirrored subscriptions on a Stripe account. */
  async customersOfAccount(em: EntityManager, accountId: string, stripeAccount: string): Promise<string[]> {
    const rows = await exec<{ customer_id: string }>(em, 'select distinct customer_id from subscriptions where account_id = ? and stripe_account = ?', [accountId, stripeAccount]);
    return rows.map((r) => r.customer_id);
  }

  /**
   * Subscriptions Stripe no longer has: removed with `allowDeletes`, otherwise kept and flagged
   * (`missing_in_stripe_at`) so that a person can look before anything is lost.
   */
  async removeOrFlag(em: EntityManager, ids: string[], allowDeletes: boolean, now: Date): Promise<{ deleted: number; flagged: number }> {
    let deleted = 0;
    let flagged = 0;
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const marks = chunk.map(() => '?').join(', ');
      if (allowDeletes) {
        await exec(em, `delete from subscription_items where subscription_id in (${marks})`, chunk);
        deleted += (await exec<{ id: string }>(em, `delete from subscriptions where id in (${marks}) returning id`, chunk)).length;
      } else {
        await exec(em, `update subscriptions set missing_in_stripe_at = coalesce(missing_in_stripe_at, ?) where id in (${marks})`, [now, ...chunk]);
        flagged += chunk.length;
      }
    }
    return { deleted, flagged };
  }
}

async function versionsIn(em: EntityManager, table: 'subscriptions' | 'invoices', ids: readonly string[]): Promise<Map<string, number>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await exec<{ id: string; stripe_version: string }>(em, `select id, stripe_version from ${table} where id = any(?::text[])`, [unique]);
  return new Map(rows.map((r) => [r.id, Number(r.stripe_version)]));
}

/** A subscription's `raw` as stored: its canonical JSON and the `raw_hash` of it. */
export interface CanonicalRaw {
  text: string;
  hash: string;
}

export function canonicalRaw(value: unknown): CanonicalRaw {
  const text = canonicalJson(value);
  return { text, hash: hash('sha1', text, 'hex') };
}

/**
 * JSON with every object's keys in sorted order, so that `raw_hash` depends on the object and not on
 * the order its keys arrived in. The order does differ for the same state: a webhook's snapshot is
 * applied from the inbox's `jsonb` payload, which hands keys back in PostgreSQL's order (shorter
 * keys first), while a listing or a fetch has Stripe's order. Hashed as received, every subscription
 * last written by a webhook looked changed to the next reconcile and was rewritten in full
 * (`updated` instead of `unchanged`).
 */
function canonicalJson(value: unknown): string {
  return canonical(value) ?? 'null';
}

/**
 * The text JSON.stringify gives for `value` with every object's keys sorted, written directly: a
 * replacer copying each object sorted took ~20 µs a subscription and made most of a reconcile's
 * garbage. The text must not change (stored `raw_hash`es are compared with it): keys that are
 * array indexes ("0", "12") come first in numeric order, as JS objects enumerate them, then the
 * others sorted; `toJSON` is called, and undefined, functions and symbols are left out of objects
 * and written as null in arrays, as JSON.stringify does.
 */
function canonical(v: unknown): string | undefined {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
    case 'bigint': // JSON.stringify throws on it, as it should
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      break;
    default:
      return undefined;
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return canonical((v as { toJSON: () => unknown }).toJSON());
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + (canonical(v[i]) ?? 'null');
    return `${out}]`;
  }
  const object = v as Record<string, unknown>;
  // Object.keys lists index keys first, in numeric order: only the others need sorting.
  const keys = Object.keys(object);
  let firstName = 0;
  while (firstName < keys.length && isIndexKey(keys[firstName]!)) firstName++;
  if (firstName === 0) keys.sort();
  else keys.push(...keys.splice(firstName).sort());
  let out = '{';
  let first = true;
  for (const key of keys) {
    const text = canonical(object[key]);
    if (text === undefined) continue;
    out += `${first ? '' : ','}${quotedKey(key)}:${text}`;
    first = false;
  }
  return `${out}}`;
}

/** Object keys as JSON strings, remembered: the same few hundred names come back in every object. */
const quotedKeys = new Map<string, string>();
function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    // Bounded: metadata keys are the merchants' own and could be endless.
    if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** Whether a key is an array index (a canonical integer below 2^32 - 1), which objects enumerate first. */
function isIndexKey(key: string): boolean {
  const c = key.charCodeAt(0);
  if (c < 48 || c > 57) return false;
  return String(Number(key)) === key && Number(key) < 4294967295;
}

/**
 * The invoice facts of a subscription's access, as select columns: the end of the latest paid
 * period newer than the subscription state (`version`), the first failed renewal, and the latest
 * invoice's status. `id`, `version` and `latestInvoice` are SQL expressions of the query using it.
 */
function invoiceFacts(id: string, version: string, latestInvoice: string): string {
  return `(select max(i.period_end) from invoices i where i.subscription_id = ${id} and i.status = 'paid' and i.stripe_created > ${version}) as paid_through,
         (select min(i.stripe_created) from invoices i where i.subscription_id = ${id} and i.status = 'open' and i.attempt_count > 0) as first_failed,
         (select i.status from invoices i where i.id = ${latestInvoice}) as latest_status`;
}

/** What a subscription's access rests on besides its own status and period (read from the mirror). */
interface AccessFacts {
  grace_days: number | null;
  merchant_status: string | null;
  paid_through: Date | string | null;
  first_failed: Date | string | null;
  latest_status: string | null;
}

interface AccessFields {
  accessUntil: Date | null;
  firstFailedPaymentAt: Date | null;
  latestInvoiceStatus: string | null;
}

/** What is stored of a subscription a write compares with (nulls: not stored yet). */
interface StoredState {
  raw_hash: string | null;
  account_id: string | null;
}

/** The access columns as stored, to leave rows whose access did not change unwritten. */
interface StoredAccess {
  stored_access_until: Date | string | null;
  stored_first_failed: Date | string | null;
  stored_latest_status: string | null;
}

const toDate = (v: Date | string | null) => (v === null ? null : new Date(v));
const sameTime = (a: Date | null, b: Date | string | null) => (a === null ? b === null : b !== null && a.getTime() === new Date(b).getTime());

function sameAccess(fields: AccessFields, stored: StoredAccess): boolean {
  return sameTime(fields.accessUntil, stored.stored_access_until) && sameTime(fields.firstFailedPaymentAt, stored.stored_first_failed) && fields.latestInvoiceStatus === stored.stored_latest_status;
}

/**
 * The stored access columns of a subscription in a given state. A paid invoice counts only while it
 * is newer than the subscription state (the facts' `paid_through` is read that way): it stands in
 * for the subscription update not seen yet (invoice.paid of a renewal may come first). Once the
 * subscription is as new, its own period is the answer; an older paid invoice may have been
 * superseded (a yearly period credited back when the price changed to monthly) and would otherwise
 * keep granting the whole year.
 */
function accessFields(state: { status: string; currentPeriodStart: Date | null; currentPeriodEnd: Date | null }, facts: AccessFacts): AccessFields {
  const firstFailed = state.status === 'past_due' ? toDate(facts.first_failed) : null;
  // A merchant that left the platform (account.application.deauthorized) grants nothing any more.
  const until =
    facts.merchant_status === 'deauthorized'
      ? null
      : accessUntil({
          status: state.status as SubscriptionStatus,
          currentPeriodStart: state.currentPeriodStart,
          currentPeriodEnd: state.currentPeriodEnd,
          paidThrough: toDate(facts.paid_through),
          firstFailedPaymentAt: firstFailed,
          graceDays: facts.grace_days ?? DEFAULT_GRACE_DAYS,
        });
  return { accessUntil: until, firstFailedPaymentAt: firstFailed, latestInvoiceStatus: facts.latest_status };
}
