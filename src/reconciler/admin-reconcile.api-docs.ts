import { applyDecorators } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ADMIN_AUTH, ApiErrors, type ErrorSpec } from '../infra/http/errors.api-docs.js';
import { FLOW } from '../infra/http/seed-flow.api-docs.js';
import { ReconcileRunListResponse, ReconcileRunView, StartReconcileDto } from './reconcile.dto.js';

/** The OpenAPI description of the reconciler's admin routes (the README's Reconciler paragraph says what a run does). */
const op = (operationId: string, summary: string, description: string, errors: ErrorSpec, ...more: (MethodDecorator | ClassDecorator)[]) =>
  applyDecorators(ApiOperation({ operationId, summary, description }), ...more, ApiErrors(ADMIN_AUTH, errors));

const RUNNING = {
  id: FLOW.runId,
  scope: 'account',
  merchant_id: null,
  account_id: FLOW.accountId,
  trigger: 'admin',
  allow_deletes: false,
  status: 'running',
  started_at: '2026-11-21T03:00:00.000Z',
  finished_at: null,
  created: 0,
  updated: 0,
  deleted: 0,
  unchanged: 0,
  flagged: 0,
  stripe_calls: 0,
  windows: 0,
  empty_windows: 0,
  requests_per_second: null,
  error: null,
};
const SUCCEEDED = { ...RUNNING, status: 'succeeded', finished_at: '2026-11-21T03:00:02.000Z', updated: 1, unchanged: 0, stripe_calls: 3, windows: 1, empty_windows: 0, requests_per_second: 1.5 };
const NIGHTLY = { ...RUNNING, id: '0b7e2d9a-3c41-4f6e-8a15-92d4c6b1e3f7', scope: 'platform', account_id: null, trigger: 'schedule', status: 'succeeded', started_at: '2026-11-21T00:00:00.000Z', finished_at: '2026-11-21T00:00:21.000Z', created: 12, updated: 3, unchanged: 99985, stripe_calls: 1068, windows: 64, empty_windows: 3, requests_per_second: 50.9 };

export const AdminReconcileDocs = {
  start: () =>
    op('admin.reconcile.start', 'Re-sync from Stripe now (platform, one merchant or one account); answers at once unless wait is true',
      'Lists every subscription of the scope in Stripe (100 a page, customer and latest invoice expanded, within RECONCILER_MAX_REQUESTS_PER_SECOND) and mirrors it under the ordering rule; ' +
        'subscriptions Stripe no longer has are flagged, or removed with `allow_deletes`. `scope` defaults from the fields given (account_id: account; merchant_id: merchant; else platform). ' +
        'Answers 202 with the run started, or with `wait: true` 200 with the run finished (a Stripe failure during the run is its `error`, status `failed`). One run per Stripe account at a time, across instances (409).',
      { 400: ['validation_failed', 'merchant_required', 'account_required'], 404: ['merchant_not_found'], 409: ['reconcile_running'] },
      ApiBody({
        type: StartReconcileDto,
        examples: {
          account: { summary: "One account's subscriptions (its webhooks were missed)", value: { scope: 'account', account_id: FLOW.accountId } },
          platform: { summary: 'Everything, waiting for the end', value: { scope: 'platform', wait: true } },
        },
      }),
      ApiAcceptedResponse({ type: ReconcileRunView, description: 'Started: follow it with admin.reconcile.get', example: RUNNING }),
      ApiOkResponse({ type: ReconcileRunView, description: 'Finished (`wait: true`)', example: SUCCEEDED })),

  list: () =>
    op('admin.reconcile.list', 'Reconcile runs, newest first', 'The latest runs (`limit`, 50 by default), nightly (`schedule`), admin and command-line ones, with their counts and errors.',
      { 400: ['validation_failed'] },
      ApiOkResponse({ type: ReconcileRunListResponse, example: { data: [SUCCEEDED, NIGHTLY] } })),

  get: () =>
    op('admin.reconcile.get', 'One reconcile run', 'One run with its counts: poll it after admin.reconcile.start until `status` is no longer `running` (`succeeded`, or `failed` with its `error`).',
      { 404: ['reconcile_run_not_found'] },
      ApiParam({ name: 'run_id', description: 'The id admin.reconcile.start answered', example: FLOW.runId }),
      ApiOkResponse({ type: ReconcileRunView, example: SUCCEEDED })),
};
