import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { Clock } from '../infra/clock/clock.js';
import { AppError } from '../infra/errors/app-error.js';
import { InboxRepository, type EventSummary } from './inbox.repository.js';
import type { ListWebhookEventsQuery, WebhookEventDetailResponse, WebhookEventResponse } from './webhook-events.dto.js';
import { WebhookWorker } from './webhook-worker.service.js';

/** What the admin API shows of the inbox, and replays. */
@Injectable()
export class WebhookEventsAdminService {
  constructor(
    private readonly em: EntityManager,
    private readonly inbox: InboxRepository,
    private readonly worker: WebhookWorker,
    private readonly clock: Clock,
  ) {}

  async list(query: ListWebhookEventsQuery): Promise<WebhookEventResponse[]> {
    const rows = await this.inbox.list(this.em.fork(), {
      ...(query.state ? { state: query.state } : {}),
      ...(query.type ? { type: query.type } : {}),
      ...(query.application_id ? { applicationId: query.application_id } : {}),
      ...(query.flag ? { flag: query.flag } : {}),
      limit: query.limit ?? 50,
    });
    return rows.map(toResponse);
  }

  async get(id: string): Promise<WebhookEventDetailResponse> {
    const row = await this.inbox.get(this.em.fork(), id);
    if (!row) throw AppError.notFound('webhook_event_not_found', `No webhook event "${id}".`);
    return { ...toResponse(row), payload: row.payload as Record<string, unknown> };
  }

  stats(): Promise<Record<string, number>> {
    return this.inbox.countByState(this.em.fork());
  }

  async replay(id: string): Promise<{ requeued: number }> {
    const requeued = await this.inbox.requeue(this.em.fork(), { id }, this.clock.now());
    if (requeued === 0) throw AppError.notFound('webhook_event_not_found', `No webhook event "${id}".`);
    this.worker.notify();
    return { requeued };
  }

  async replayDead(): Promise<{ requeued: number }> {
    const requeued = await this.inbox.requeue(this.em.fork(), { state: 'dead' }, this.clock.now());
    this.worker.notify();
    return { requeued };
  }
}

function toResponse(row: EventSummary): WebhookEventResponse {
  const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
  return {
    id: row.id,
    application_id: row.application_id,
    stripe_account: row.stripe_account,
    type: row.type,
    stripe_created: Number(row.stripe_created),
    state: row.state,
    attempts: row.attempts,
    next_attempt_at: iso(row.next_attempt_at)!,
    last_error: row.last_error,
    flag: row.flag,
    payload_note: row.payload_note,
    received_at: iso(row.received_at)!,
    processed_at: iso(row.processed_at),
  };
}
