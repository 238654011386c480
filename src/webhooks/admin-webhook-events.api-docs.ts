import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ADMIN_AUTH, ApiErrors, type ErrorSpec } from '../infra/http/errors.api-docs.js';
import { FLOW } from '../infra/http/seed-flow.api-docs.js';
import { ReplayResponse, WebhookEventDetailResponse, WebhookEventListResponse, WebhookEventStatsResponse } from './webhook-events.dto.js';

/** The OpenAPI description of the admin routes over the webhook inbox (docs/webhooks.md says how events are applied). */
const op = (operationId: string, summary: string, description: string, errors: ErrorSpec, ...more: (MethodDecorator | ClassDecorator)[]) =>
  applyDecorators(ApiOperation({ operationId, summary, description }), ...more, ApiErrors(ADMIN_AUTH, errors));

const EVENT_ID = ApiParam({ name: 'event_id', description: 'The Stripe event id', example: FLOW.eventId });

/** `invoice.paid` of the first invoice of 株式会社さくら商事's subscription, applied on the first attempt. */
const EVENT = {
  id: FLOW.eventId,
  application_id: FLOW.applicationId,
  stripe_account: 'platform',
  type: 'invoice.paid',
  stripe_created: 1795137826,
  state: 'processed',
  attempts: 1,
  next_attempt_at: '2026-11-20T01:23:46.000Z',
  last_error: null,
  flag: null,
  payload_note: null,
  received_at: '2026-11-20T01:23:46.000Z',
  processed_at: '2026-11-20T01:23:46.120Z',
};
const DEAD_EVENT = {
  ...EVENT,
  id: 'evt_1QyT2cLkdIwHu7ixSubUpd02',
  type: 'customer.subscription.updated',
  state: 'dead',
  attempts: 8,
  last_error: 'stripe_unavailable: Stripe could not be reached or failed; try again.',
  processed_at: null,
};

export const AdminWebhookEventsDocs = {
  list: () =>
    op('admin.webhookEvents.list', 'List stored webhook events, newest first, by state, type, application or flag',
      'The inbox: every Stripe event received, newest first, at most `limit` (50, up to 500). Filter by `state` (`dead` ones need attention), `type`, `application_id` or `flag` ' +
        '(`unknown_account`: a Connect event of an account no merchant has). The payload is left out: read one event for it.',
      { 400: ['validation_failed'] },
      ApiOkResponse({ type: WebhookEventListResponse, example: { data: [DEAD_EVENT, EVENT] } })),

  stats: () =>
    op('admin.webhookEvents.stats', 'How many events are in each state', 'Counts of stored events by state, for monitoring: a growing `dead` or `failed` needs attention. States with no event are left out.', {},
      ApiOkResponse({ type: WebhookEventStatsResponse, example: { processed: 1280, failed: 2, dead: 1 } })),

  get: () =>
    op('admin.webhookEvents.get', 'Show one event with its payload and last error', 'One stored event with the Stripe event as received (`payload`), its attempts and, when it failed, its last error: what to read before replaying it.',
      { 404: ['webhook_event_not_found'] }, EVENT_ID,
      ApiOkResponse({
        type: WebhookEventDetailResponse,
        example: {
          ...EVENT,
          payload: {
            id: FLOW.eventId,
            object: 'event',
            type: 'invoice.paid',
            created: 1795137826,
            livemode: false,
            api_version: '2026-10-28.endive',
            data: { object: { id: FLOW.firstInvoiceId, object: 'invoice', customer: FLOW.customerId, currency: 'jpy', amount_paid: 3300, status: 'paid' } },
          },
        },
      })),

  replayDead: () =>
    op('admin.webhookEvents.replayDead', 'Put every dead event back in the queue', 'After fixing what made events fail (Stripe down, a bug), requeue every dead event; workers apply them again at once. Applying an event twice is harmless: older state never wins.', {},
      ApiOkResponse({ type: ReplayResponse, description: 'How many were requeued', example: { requeued: 1 } })),

  replay: () =>
    op('admin.webhookEvents.replay', 'Put one event back in the queue (applying it again is harmless: older state never wins)', 'Requeues one event, whatever its state, for the workers to apply again at once (its attempts start over). Use it after fixing what made it fail, or to apply a processed one again.',
      { 404: ['webhook_event_not_found'] }, EVENT_ID,
      ApiOkResponse({ type: ReplayResponse, example: { requeued: 1 } })),
};
