import type { SqlEntityManager } from '@mikro-orm/sql';
import { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import type supertest from 'supertest';
import type { Stack } from '../support/stack.js';
import { accountToken } from '../support/test-app.js';

/** The origin the tests' success, cancel and return URLs point at. */
export const ORIGIN = 'https://app.example.com';
export const urls = { success_url: `${ORIGIN}/billing/success`, cancel_url: `${ORIGIN}/billing/cancel` };

/** An account token with the owner role (mutations allowed), optionally naming an application. */
export const ownerToken = (acc: string, extra: Record<string, unknown> = {}) => accountToken({ acc, role: 'owner', ...extra });
/** An account token without the owner role (reads only). */
export const memberToken = (acc: string, extra: Record<string, unknown> = {}) => accountToken({ acc, role: 'member', ...extra });

export const sqlOf = (s: Stack) => <T>(sql: string, params: unknown[] = []) => (s.app.get(EntityManager).fork() as SqlEntityManager).execute<T[]>(sql, params);

/** Sets an application's catalog and allowed origins through the admin API. */
export async function setCatalog(s: Stack, applicationId: string, priceIds: string[], extra: Record<string, unknown> = {}): Promise<void> {
  const res = await s.admin(s.http().patch(`/admin/applications/${applicationId}`)).send({ price_ids: priceIds, allowed_origins: [ORIGIN], ...extra });
  if (res.status !== 200) throw new Error(`PATCH application ${applicationId}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** A request with a bearer token (and any extra headers). */
export function authed(req: supertest.Test, token: string, headers: Record<string, string> = {}): supertest.Test {
  req.set('authorization', `Bearer ${token}`);
  for (const [k, v] of Object.entries(headers)) req.set(k, v);
  return req;
}

/** Asserts the error format: status and stable code. */
export function expectError(res: supertest.Response, status: number, code: string): void {
  if (res.status !== status || res.body?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  if (typeof res.body.error.message !== 'string' || res.body.error.message === '') throw new Error(`no error message: ${JSON.stringify(res.body)}`);
}

const iso = (unix: number | null | undefined) => (unix === null || unix === undefined ? null : new Date(unix * 1000).toISOString());

/** The fields of our subscription view that mirror Stripe's subscription one to one. */
export function viewOfStripe(sub: Stripe.Subscription) {
  const first = sub.items.data[0]!;
  return {
    id: sub.id,
    status: sub.status,
    customer_id: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
    cancel_at_period_end: sub.cancel_at_period_end,
    cancel_at: iso(sub.cancel_at),
    canceled_at: iso(sub.canceled_at),
    ended_at: iso(sub.ended_at),
    current_period_start: iso(first.current_period_start),
    current_period_end: iso(first.current_period_end),
    latest_invoice_id: typeof sub.latest_invoice === 'string' ? sub.latest_invoice : (sub.latest_invoice?.id ?? null),
    items: sub.items.data.map((i) => ({ id: i.id, price_id: i.price.id, product_id: typeof i.price.product === 'string' ? i.price.product : i.price.product.id, quantity: i.quantity ?? null, usage_type: i.price.recurring?.usage_type ?? 'licensed' })),
  };
}

/**
 * Compares a subscription as our API answered it, and as the mirror stores it, with Stripe's own
 * object (retrieved through the SDK).
 */
export async function expectMatchesStripe(s: Stack, view: Record<string, unknown>, options: Stripe.RequestOptions = {}): Promise<Stripe.Subscription> {
  const sub = await s.stripe.subscriptions.retrieve(view.id as string, {}, options);
  const expected = viewOfStripe(sub);
  expect(view).toMatchObject(expected);
  const [row] = await sqlOf(s)<{ status: string; cancel_at_period_end: boolean; current_period_end: Date; canceled_at: Date | null; stripe_account: string }>('select * from subscriptions where id = ?', [sub.id]);
  expect(row).toBeDefined();
  expect(row!.status).toBe(sub.status);
  expect(row!.cancel_at_period_end).toBe(sub.cancel_at_period_end);
  expect(new Date(row!.current_period_end).toISOString()).toBe(expected.current_period_end);
  expect(row!.canceled_at === null ? null : new Date(row!.canceled_at).toISOString()).toBe(expected.canceled_at);
  const items = await sqlOf(s)<{ id: string; price_id: string; quantity: number | null }>('select id, price_id, quantity from subscription_items where subscription_id = ? order by id', [sub.id]);
  expect(items.map((i) => ({ id: i.id, price_id: i.price_id, quantity: i.quantity }))).toEqual(
    [...expected.items].sort((a, b) => (a.id < b.id ? -1 : 1)).map((i) => ({ id: i.id, price_id: i.price_id, quantity: i.quantity })),
  );
  return sub;
}

/** Counts of what a refused request must not create: Stripe customers and checkout sessions, and our rows. */
export async function footprint(s: Stack, options: Stripe.RequestOptions = {}) {
  const customers = await s.stripe.customers.list({ limit: 100 }, options).autoPagingToArray({ limit: 1000 });
  const sessions = await s.stripe.checkout.sessions.list({ limit: 100 }, options).autoPagingToArray({ limit: 1000 });
  const subscriptions = await s.stripe.subscriptions.list({ limit: 100, status: 'all' }, options).autoPagingToArray({ limit: 1000 });
  const [rows] = await sqlOf(s)<Record<string, string>>(
    `select (select count(*) from identities) as identities, (select count(*) from subscriptions) as subscriptions,
       (select count(*) from subscription_items) as subscription_items, (select count(*) from trials) as trials`,
  );
  return {
    stripe_customers: customers.length,
    stripe_sessions: sessions.length,
    stripe_subscriptions: subscriptions.length,
    identities: Number(rows!.identities),
    subscriptions: Number(rows!.subscriptions),
    subscription_items: Number(rows!.subscription_items),
    trials: Number(rows!.trials),
  };
}
