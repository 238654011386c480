import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ADMIN_AUTH, ApiErrors } from '../infra/http/errors.api-docs.js';
import { FLOW } from '../infra/http/seed-flow.api-docs.js';
import { AuditRecordListResponse } from './audit.dto.js';

const CHANGE = {
  id: '1042',
  occurred_at: '2026-11-20T01:30:00.000Z',
  request_id: '3a336a0c-8d14-4b99-bc25-5c46444c2817',
  actor_type: 'account',
  actor_id: FLOW.accountId,
  subject: 'user-8812',
  roles: ['owner'],
  api_key_id: null,
  channel: 'api',
  operator: null,
  action: 'subscription.change',
  application_id: FLOW.applicationId,
  account_id: FLOW.accountId,
  merchant_id: FLOW.merchantId,
  target: { subscription_id: FLOW.subscriptionId },
  params: { quantity: 3 },
  before: { id: FLOW.subscriptionId, status: 'active', items: [{ price_id: FLOW.monthlyPrice, quantity: 2 }] },
  after: { id: FLOW.subscriptionId, status: 'active', items: [{ price_id: FLOW.monthlyPrice, quantity: 3 }] },
  stripe_request_ids: ['req_8fT2kLm9QpZx1a', 'req_3nV7bQ2wRt5Yc9'],
  outcome: 'success',
  status: 200,
  error_code: null,
  duration_ms: 84,
};
const ROTATE = {
  ...CHANGE,
  id: '1041',
  occurred_at: '2026-11-20T01:00:00.000Z',
  request_id: '9d2c41f0-6b7e-4a58-8c13-2e5f7a9b0d46',
  actor_type: 'admin',
  actor_id: 'admin',
  subject: null,
  roles: null,
  channel: 'cli',
  operator: 'keiri-ops',
  action: 'application.rotate-secret',
  account_id: null,
  target: { application_id: FLOW.applicationId },
  params: { secret: '[redacted]' },
  before: { id: FLOW.applicationId, webhook_secrets_active: 1 },
  after: { id: FLOW.applicationId, webhook_secrets_active: 2 },
  stripe_request_ids: [],
  duration_ms: 12,
};

export const AuditDocs = {
  list: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'admin.audit.list',
        summary: 'The audit trail: every mutation through the API and the admin CLI, newest first',
        description:
          'Who (account and token subject, partner key, or the admin, with `cli` and the CLI user for `npm run admin`), when, the action and its ids, the parameters without secrets, ' +
          'the stored state before and after, the request id and the Stripe request ids it caused, and the outcome; failed attempts are recorded too. ' +
          'Filters combine; pages of `limit` (50 by default) follow `next_cursor`. Records older than AUDIT_RETENTION_DAYS are purged.',
      }),
      ApiErrors(ADMIN_AUTH, { 400: ['validation_failed', 'invalid_time_range'] }),
      ApiOkResponse({ type: AuditRecordListResponse, example: { data: [CHANGE, ROTATE], next_cursor: '1041' } }),
    ),
};
