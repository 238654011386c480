import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type { WebhookEventState } from './webhook-event.entity.js';
import { execPrepared, PreparedStatement } from '../infra/database/prepared.js';
import { exec, sql } from '../infra/database/sql.js';
import { CURRENT_WEBHOOK_SECRET } from '../tenancy/applications.service.js';

export interface InboxInsert {
  id: string;
  applicationId: string;
  stripeAccount: string;
  type: string;
  stripeCreated: number;
  apiVersion: string | null;
  livemode: boolean;
  /** The event as JSON text (the signed body itself, unless characters had to be replaced: see `payloadNote`). */
  payload: string;
  flag: string | null;
  receivedAt: Date;
  /** The signed bytes, kept only when the payload had to be changed to be stored (`payloadNote` says how). */
  rawBody?: Buffer;
  payloadNote?: string;
  /** The webhook secret (its id) that verified the event: stored only while that secret is current at `receivedAt`. */
  signedBy: string;
}

/** What an insert did: stored the event, found its id stored already, or stored nothing because the secret that verified it has ended. */
export type InboxInsertOutcome = 'stored' | 'duplicate' | 'secret_ended';

/**
 * The intake's one statement per event, prepared once per connection: the event is stored (once
 * per id) only if the secret that verified it is still current, checked in the same statement so
 * that a secret ended on any instance stops verifying at once although the intake caches secrets.
 */
const INSERT_EVENT = new PreparedStatement(
  'webhook_events_insert',
  `with signed_by as (
     select 1 from webhook_secrets where id = ?::uuid and application_id = ?::text and ${CURRENT_WEBHOOK_SECRET}
   ), stored as (
     insert into webhook_events (id, application_id, stripe_account, type, stripe_created, api_version, livemode, payload, state, attempts, next_attempt_at, flag, received_at, raw_body, payload_note)
     select ?::text, ?::text, ?::text, ?::text, ?::bigint, ?::text, ?::boolean, ?::jsonb, 'received', 0, ?::timestamptz, ?::text, ?::timestamptz, ?::bytea, ?::text
     where exists (select 1 from signed_by)
     on conflict (id) do nothing
     returning 1
   )
   select exists (select 1 from signed_by) as signed, exists (select 1 from stored) as stored`,
);

export interface ClaimedEvent {
  id: string;
  application_id: string;
  stripe_account: string;
  type: string;
  stripe_created: string;
  payload: Record<string, unknown>;
  attempts: number;
  flag: string | null;
}

export interface EventSummary {
  id: string;
  application_id: string;
  stripe_account: string;
  type: string;
  stripe_created: number;
  state: WebhookEventState;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  flag: string | null;
  /** Set when the payload had to be changed to be stored (see InboxInsert). */
  payload_note: string | null;
  received_at: Date;
  processed_at: Date | null;
}

const SUMMARY_COLUMNS = 'id, application_id, stripe_account, type, stripe_created, state, attempts, next_attempt_at, last_error, flag, payload_note, received_at, processed_at';

/** The webhook inbox in SQL: store once, claim with SKIP LOCKED, record outcomes. */
@Injectable()
export class InboxRepository {
  /** Stores an event unless its id is there already or the secret that verified it has ended since (see INSERT_EVENT). */
  async insert(em: EntityManager, event: InboxInsert): Promise<InboxInsertOutcome> {
    // The time as text once, not as a Date the driver formats three times over (a profile of the intake, issue 17).
    const receivedAt = event.receivedAt.toISOString();
    const [row] = await execPrepared<{ signed: boolean; stored: boolean }>(em, INSERT_EVENT, [
      event.signedBy, event.applicationId, receivedAt,
      event.id, event.applicationId, event.stripeAccount, event.type, event.stripeCreated, event.apiVersion, event.livemode, event.payload,
      receivedAt, event.flag, receivedAt, event.rawBody ?? null, event.payloadNote ?? null,
    ]);
    return !row!.signed ? 'secret_ended' : row!.stored ? 'stored' : 'duplicate';
  }

  /**
   * Claims due events inside the caller's transaction. SKIP LOCKED lets any number of workers, in
   * any number of instances, take disjoint batches; a crash releases the locks with the
   * transaction, so nothing claimed is ever lost. Older events first, which makes re-fetches rarer.
   */
  async claimDue(em: EntityManager, now: Date, limit: number): Promise<ClaimedEvent[]> {
    return sql(em).execute<ClaimedEvent[]>(
      `select id, application_id, stripe_account, type, stripe_created, payload, attempts, flag
       from webhook_events
       where state in ('received', 'failed') and next_attempt_at <= ?
       order by stripe_created, id
       limit ?
       for update skip locked`,
      [now, limit],
    );
  }

  /** Marks the events of a batch processed, in one statement. */
  async markProcessed(em: EntityManager, ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await exec(em, `update webhook_events set state = 'processed', attempts = attempts + 1, processed_at = ?, last_error = null where id = any(?::text[])`, [at, ids]);
  }

  async markFailed(em: EntityManager, id: string, error: string, nextAttemptAt: Date | null): Promise<void> {
    await sql(em).execute(
      `update webhook_events set attempts = attempts + 1, last_error = ?, state = ?, next_attempt_at = coalesce(?, next_attempt_at) where id = ?`,
      [error.slice(0, 4000), nextAttemptAt ? 'failed' : 'dead', nextAttemptAt, id],
    );
  }

  async markDead(em: EntityManager, id: string, error: string, flag: string): Promise<void> {
    await sql(em).execute(`update webhook_events set state = 'dead', last_error = ?, flag = ? where id = ?`, [error, flag, id]);
  }

  async list(em: EntityManager, filter: { state?: string; type?: string; applicationId?: string; flag?: string; limit: number; before?: Date }): Promise<EventSummary[]> {
    const conditions: [string, unknown][] = [
      ['state = ?', filter.state],
      ['type = ?', filter.type],
      ['application_id = ?', filter.applicationId],
      ['flag = ?', filter.flag],
      ['received_at < ?', filter.before],
    ];
    const used = conditions.filter(([, value]) => value !== undefined);
    const where = used.map(([clause]) => clause);
    const params = [...used.map(([, value]) => value), filter.limit];
    return sql(em).execute<EventSummary[]>(
      `select ${SUMMARY_COLUMNS} from webhook_events ${where.length ? `where ${where.join(' and ')}` : ''} order by received_at desc, id desc limit ?`,
      params,
    );
  }

  async get(em: EntityManager, id: string): Promise<(EventSummary & { payload: unknown }) | undefined> {
    const rows = await sql(em).execute<(EventSummary & { payload: unknown })[]>(`select ${SUMMARY_COLUMNS}, payload from webhook_events where id = ?`, [id]);
    return rows[0];
  }

  /** Puts events back in the queue (a replay). Processed events can be replayed on purpose; the ordering rule makes that harmless. */
  async requeue(em: EntityManager, where: { id?: string; state?: WebhookEventState }, now: Date): Promise<number> {
    const clause = where.id ? 'id = ?' : 'state = ?';
    const rows = await sql(em).execute<{ id: string }[]>(
      `update webhook_events set state = 'received', next_attempt_at = ?, attempts = 0, flag = case when flag = 'unknown_account' then null else flag end where ${clause} returning id`,
      [now, where.id ?? where.state],
    );
    return rows.length;
  }

  /**
   * The unapplied part of the inbox, for the metrics: events by state other than processed (the
   * bulk of the table, left uncounted so the query stays on the (state, next_attempt_at) index),
   * and when the oldest received or failed one arrived.
   */
  async backlog(em: EntityManager): Promise<{ byState: Record<string, number>; oldestReceivedAt: Date | null }> {
    const rows = await sql(em).execute<{ state: string; n: string; oldest: Date | string | null }[]>(
      `select state, count(*) as n, min(received_at) as oldest from webhook_events where state in ('received', 'processing', 'failed', 'dead') group by state`,
    );
    const due = rows.filter((r) => (r.state === 'received' || r.state === 'failed') && r.oldest !== null).map((r) => new Date(r.oldest!).getTime());
    return { byState: Object.fromEntries(rows.map((r) => [r.state, Number(r.n)])), oldestReceivedAt: due.length ? new Date(Math.min(...due)) : null };
  }

  async countByState(em: EntityManager): Promise<Record<string, number>> {
    const rows = await sql(em).execute<{ state: string; n: string }[]>('select state, count(*) as n from webhook_events group by state');
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  }
}
