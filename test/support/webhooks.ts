import { createHmac, randomBytes } from 'node:crypto';
import { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type supertest from 'supertest';

/** `Stripe-Signature` as Stripe computes it: `t=<unix>,v1=hex(HMAC-SHA256(secret, "<t>.<body>"))`. */
export function stripeSignature(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** A Stripe event envelope as JSON; `object` becomes `data.object`. */
export function stripeEvent(type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}): { id: string; body: string } {
  const id = `evt_test_${randomBytes(8).toString('hex')}`;
  const event = { id, object: 'event', api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1, type, data: { object }, ...extra };
  return { id, body: JSON.stringify(event) };
}

export const webhookPath = (applicationId: string) => `/api/applications/${applicationId}/subscriptions/stripe/webhook`;

/** POSTs a raw body to an application's webhook endpoint, with the given Stripe-Signature (none when undefined). */
export function postWebhook(http: () => supertest.Agent, applicationId: string, body: string, signature?: string): supertest.Test {
  const req = http().post(webhookPath(applicationId)).set('content-type', 'application/json; charset=utf-8');
  if (signature !== undefined) req.set('stripe-signature', signature);
  return req.send(body);
}

/** Raw SQL on the app's database (a fresh fork each time). */
export function query<T>(app: NestFastifyApplication, sql: string, params: unknown[] = []): Promise<T[]> {
  return (app.get(EntityManager).fork() as SqlEntityManager).execute<T[]>(sql, params);
}

export async function countWebhookEvents(app: NestFastifyApplication): Promise<number> {
  const [row] = await query<{ n: string }>(app, 'select count(*) as n from webhook_events');
  return Number(row!.n);
}

/** What the admin API shows of one stored event. */
export interface AdminEvent {
  id: string;
  application_id: string;
  stripe_account: string;
  type: string;
  state: 'received' | 'processing' | 'processed' | 'failed' | 'dead';
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  flag: string | null;
  received_at: string;
  processed_at: string | null;
}
