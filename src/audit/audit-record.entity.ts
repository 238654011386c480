import { defineEntity, p } from '@mikro-orm/core';

export const AUDIT_ACTOR_TYPES = ['account', 'admin', 'partner'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];
export const AUDIT_OUTCOMES = ['success', 'error'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * One mutation through the API or the admin CLI: who, when, what (with the stored state before and
 * after where it changes one), the request id and the Stripe request ids it caused, and how it
 * ended. Never a secret: parameters and states are sanitized before they are stored (sanitize.ts).
 */
export const AuditRecordSchema = defineEntity({
  name: 'AuditRecord',
  tableName: 'audit_records',
  indexes: [
    { name: 'audit_records_occurred_at_index', properties: ['occurredAt'] },
    { name: 'audit_records_account_index', properties: ['accountId', 'id'] },
    { name: 'audit_records_application_index', properties: ['applicationId', 'id'] },
    { name: 'audit_records_action_index', properties: ['action', 'id'] },
    { name: 'audit_records_request_index', properties: ['requestId'] },
  ],
  properties: {
    /** Increasing: the list's order and its cursor. */
    id: p.bigint('string').primary().autoincrement(),
    occurredAt: p.datetime(),
    requestId: p.string().length(128),
    actorType: p.enum(AUDIT_ACTOR_TYPES),
    /** The account id, `admin`, or the partner API key id. */
    actorId: p.string().length(255),
    /** The account token's `sub` claim, when it has one. */
    subject: p.string().length(255).nullable(),
    roles: p.json<string[]>().nullable(),
    apiKeyId: p.string().length(64).nullable(),
    /** `api`, or `cli` for `npm run admin` / `npm run reconcile`. */
    channel: p.string().length(16),
    /** The person at the CLI, as the CLI reports it (the admin token is shared: informative, not proof). */
    operator: p.string().length(128).nullable(),
    action: p.string().length(64),
    applicationId: p.string().length(64).nullable(),
    accountId: p.string().length(255).nullable(),
    merchantId: p.string().length(64).nullable(),
    /** The ids the action is about (subscription, application, key, event, run…). */
    target: p.json<Record<string, string>>().default('{}'),
    /** The request's parameters, sanitized. */
    params: p.json<Record<string, unknown>>().default('{}'),
    before: p.json<unknown>().nullable(),
    after: p.json<unknown>().nullable(),
    stripeRequestIds: p.json<string[]>().default('[]'),
    outcome: p.enum(AUDIT_OUTCOMES),
    status: p.integer(),
    errorCode: p.string().length(64).nullable(),
    durationMs: p.integer(),
  },
});
export class AuditRecord extends AuditRecordSchema.class {}
AuditRecordSchema.setClass(AuditRecord);
