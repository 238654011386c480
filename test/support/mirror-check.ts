import { createHmac } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { accessUntil } from '../../src/subscriptions/access-policy.js';
import type { SubscriptionStatus } from '../../src/subscriptions/subscription.entity.js';
import type { Stack } from './stack.js';

/**
 * Helpers for the webhook acceptance tests: read the mirror, read Stripe's own object, put both
 * in one shape to compare, compute the access Stripe's state calls for, call the emulator's
 * control API, and deliver events signed as Stripe does.
 */

export const DAY = 86_400;

/** Unix seconds of a Date, a timestamp string, or null. */
export const seconds = (v: Date | string | number | null | undefined): number | null =>
  v === null || v === undefined ? null : typeof v === 'number' ? v : Math.round(new Date(v).getTime() / 1000);

export function query<T>(s: Stack, sql: string, params: unknown[] = []): Promise<T[]> {
  return (s.app.get(EntityManager).fork() as SqlEntityManager).execute<T[]>(sql, params);
}

/** The fields of a subscription the mirror keeps, in one comparable shape (unix seconds). */
export interface SubscriptionView {
  status: string;
  cancel_at_period_end: boolean;
  cancel_at: number | null;
  canceled_at: number | null;
  ended_at: number | null;
  current_period_start: number | null;
  current_period_end: number | null;
  latest_invoice: string | null;
  items: { price: string; quantity: number | null }[];
}

export interface MirrorRow {
  id: string;
  status: string;
  account_id: string | null;
  application_id: string | null;
  cancel_at_period_end: boolean;
  cancel_at: Date | null;
  canceled_at: Date | null;
  ended_at: Date | null;
  current_period_start: Date | null;
  current_period_end: Date | null;
  latest_invoice_id: string | null;
  latest_invoice_status: string | null;
  first_failed_payment_at: Date | null;
  access_until: Date | null;
}

export async function mirrorRow(s: Stack, id: string): Promise<MirrorRow | undefined> {
  const [row] = await query<MirrorRow>(s, 'select * from subscriptions where id = ?', [id]);
  return row;
}

const byPrice = (a: { price: string; quantity: number | null }, b: { price: string; quantity: number | null }) =>
  a.price.localeCompare(b.price) || (a.quantity ?? 0) - (b.quantity ?? 0);

export async function mirrorView(s: Stack, id: string): Promise<SubscriptionView | undefined> {
  const row = await mirrorRow(s, id);
  if (!row) return undefined;
  const items = await query<{ price_id: string; quantity: number | null }>(s, 'select price_id, quantity from subscription_items where subscription_id = ?', [id]);
  return {
    status: row.status,
    cancel_at_period_end: row.cancel_at_period_end,
    cancel_at: seconds(row.cancel_at),
    canceled_at: seconds(row.canceled_at),
    ended_at: seconds(row.ended_at),
    current_period_start: seconds(row.current_period_start),
    current_period_end: seconds(row.current_period_end),
    latest_invoice: row.latest_invoice_id,
    items: items.map((i) => ({ price: i.price_id, quantity: i.quantity })).sort(byPrice),
  };
}

export function stripeView(sub: Stripe.Subscription): SubscriptionView {
  const starts = sub.items.data.map((i) => i.current_period_start);
  const ends = sub.items.data.map((i) => i.current_period_end);
  return {
    status: sub.status,
    cancel_at_period_end: sub.cancel_at_period_end,
    cancel_at: sub.cancel_at ?? null,
    canceled_at: sub.canceled_at ?? null,
    ended_at: sub.ended_at ?? null,
    current_period_start: starts.length ? Math.min(...starts) : null,
    current_period_end: ends.length ? Math.max(...ends) : null,
    latest_invoice: typeof sub.latest_invoice === 'string' ? sub.latest_invoice : (sub.latest_invoice?.id ?? null),
    items: sub.items.data.map((i) => ({ price: i.price.id, quantity: i.quantity ?? null })).sort(byPrice),
  };
}

/**
 * `access_until` (unix seconds, null: no access) that Stripe's own state calls for under the
 * access policy: the subscription's status and period (max/min over its items) and, for
 * past_due, the first failed attempt of its open invoices. Stripe's subscription is the whole
 * truth here, so no paid invoice is passed: an invoice can only stand in for a subscription update
 * the mirror has not seen yet, and once everything is delivered there is none.
 */
export async function accessFromStripe(stripe: Stripe, sub: Stripe.Subscription, graceDays: number): Promise<number | null> {
  const invoices = await stripe.invoices.list({ subscription: sub.id, limit: 100 }).autoPagingToArray({ limit: 1000 });
  const failedStarts = invoices.filter((i) => i.status === 'open' && (i.attempt_count ?? 0) > 0).map((i) => i.created);
  const view = stripeView(sub);
  const at = (t: number | null) => (t === null ? null : new Date(t * 1000));
  const until = accessUntil({
    status: sub.status as SubscriptionStatus,
    currentPeriodStart: at(view.current_period_start),
    currentPeriodEnd: at(view.current_period_end),
    paidThrough: null,
    firstFailedPaymentAt: failedStarts.length ? at(Math.min(...failedStarts)) : null,
    graceDays,
  });
  return until ? seconds(until) : null;
}

/** Calls the emulator's control API (`/_emulator/...`) with its key. */
export async function control<T = Record<string, unknown>>(s: Stack, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${s.emulator.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${s.emulator.secretKey}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** `Stripe-Signature` for a payload, as Stripe computes it: `t=<now>,v1=HMAC-SHA256(secret, "<t>.<payload>")`. */
export function stripeSignature(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex')}`;
}

/** POSTs one event to an application's webhook endpoint, signed with `secret`; returns the HTTP status. */
export async function deliver(s: Stack, event: Stripe.Event, secret: string, applicationId = 'default'): Promise<number> {
  const payload = JSON.stringify(event);
  const res = await fetch(`${s.baseUrl}/api/applications/${applicationId}/subscriptions/stripe/webhook`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Stripe-Signature': stripeSignature(payload, secret) },
    body: payload,
  });
  await res.arrayBuffer();
  return res.status;
}
