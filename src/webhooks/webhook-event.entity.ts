import { defineEntity, p } from '@mikro-orm/core';

export const WEBHOOK_EVENT_STATES = ['received', 'processing', 'processed', 'failed', 'dead'] as const;
export type WebhookEventState = (typeof WEBHOOK_EVENT_STATES)[number];

/** The inbox: every verified Stripe event, stored before it is acknowledged, applied once by a worker. */
export const WebhookEventSchema = defineEntity({
  name: 'WebhookEvent',
  tableName: 'webhook_events',
  indexes: [
    { name: 'webhook_events_due_index', properties: ['state', 'nextAttemptAt'] },
    { name: 'webhook_events_type_index', properties: ['type', 'receivedAt'] },
    // The workers' claim reads only events still to do, however long the processed history grows.
    {
      name: 'webhook_events_pending_index',
      expression: `create index "webhook_events_pending_index" on "webhook_events" ("next_attempt_at", "stripe_created") where state in ('received', 'failed')`,
    },
  ],
  properties: {
    /** Stripe's `evt_...`: a duplicate delivery hits this key and is not stored twice. */
    id: p.string().length(255).primary(),
    applicationId: p.string().length(64),
    /** Connect: the `account` the event belongs to; `platform` otherwise. */
    stripeAccount: p.string().length(64),
    type: p.string().length(128),
    /** Stripe's `created` (unix seconds). */
    stripeCreated: p.bigint('number'),
    apiVersion: p.string().length(64).nullable(),
    livemode: p.boolean().default(false),
    payload: p.json<Record<string, unknown>>(),
    state: p.enum(WEBHOOK_EVENT_STATES).default('received'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime(),
    lastError: p.text().nullable(),
    /** Why the event needs a person's eye although it was stored (e.g. unknown connected account). */
    flag: p.string().length(64).nullable(),
    /** Why the stored payload differs from the signed one (characters PostgreSQL cannot store were replaced). */
    payloadNote: p.text().nullable(),
    /** The signed bytes, kept only when the payload had to be changed to be stored. */
    rawBody: p.blob().nullable(),
    receivedAt: p.datetime().onCreate(() => new Date()),
    processedAt: p.datetime().nullable(),
  },
});
export class WebhookEvent extends WebhookEventSchema.class {}
WebhookEventSchema.setClass(WebhookEvent);
