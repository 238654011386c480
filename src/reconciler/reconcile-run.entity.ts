import { defineEntity, p } from '@mikro-orm/core';

export const RECONCILE_RUN_STATUSES = ['running', 'succeeded', 'failed', 'skipped'] as const;

/** One re-sync from Stripe: its scope, what it changed and how many Stripe calls it made. */
export const ReconcileRunSchema = defineEntity({
  name: 'ReconcileRun',
  tableName: 'reconcile_runs',
  indexes: [{ name: 'reconcile_runs_started_at_index', properties: ['startedAt'] }],
  properties: {
    id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
    /** platform (every merchant) | merchant | account */
    scope: p.string().length(16),
    merchantId: p.string().length(64).nullable(),
    accountId: p.string().length(255).nullable(),
    /** schedule | admin | cli */
    trigger: p.string().length(16),
    allowDeletes: p.boolean().default(false),
    status: p.enum(RECONCILE_RUN_STATUSES).default('running'),
    startedAt: p.datetime(),
    finishedAt: p.datetime().nullable(),
    created: p.integer().default(0),
    updated: p.integer().default(0),
    deleted: p.integer().default(0),
    unchanged: p.integer().default(0),
    flagged: p.integer().default(0),
    stripeCalls: p.integer().default(0),
    /** Windows of `created` the listing was split into (each its own cursor chain), and how many held nothing. */
    windows: p.integer().default(0),
    emptyWindows: p.integer().default(0),
    error: p.text().nullable(),
  },
});
export class ReconcileRun extends ReconcileRunSchema.class {}
ReconcileRunSchema.setClass(ReconcileRun);
