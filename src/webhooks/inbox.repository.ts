import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type { WebhookEventState } from './webhook-event.entity.js';
import { execPrepared, PreparedStatement } from '../infra/database/prepared.js';
import { SharedStatements } from '../infra/database/shared-statements.js';
import { isDatabaseConnectionError } from '../infra/errors/database-errors.js';
import { exec, sql, unnestRows, type ArrayColumnType } from '../infra/database/sql.js';
import { currentWebhookSecretAt } from '../tenancy/applications.service.js';

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

/** The columns of an intake statement, one array each (see `unnestRows`); the payloads go as one JSON array. */
const INSERT_COLUMNS = [
  ['id', 'text', (e) => e.id],
  ['application_id', 'text', (e) => e.applicationId],
  ['stripe_account', 'text', (e) => e.stripeAccount],
  ['type', 'text', (e) => e.type],
  ['stripe_created', 'bigint', (e) => e.stripeCreated],
  ['api_version', 'text', (e) => e.apiVersion],
  ['livemode', 'boolean', (e) => e.livemode],
  ['payload', 'jsonb', (e) => e.payload],
  ['flag', 'text', (e) => e.flag],
  // As text once, not as a Date the driver formats (a profile of the intake, issue 17).
  ['received_at', 'timestamptz', (e) => e.receivedAt.toISOString()],
  // Hex rather than bytea[]: almost always null, and the same on both drivers.
  ['raw_body_hex', 'text', (e) => e.rawBody?.toString('hex') ?? null],
  ['payload_note', 'text', (e) => e.payloadNote ?? null],
  ['signed_by', 'text', (e) => e.signedBy],
] as const satisfies readonly (readonly [string, ArrayColumnType, (e: InboxInsert) => unknown])[];

/**
 * The intake's statement, for one event or for the events of deliveries arriving together (see
 * `insert`), prepared once per connection: each event is stored (once per id) only if the secret
 * that verified it is still current at its receipt, checked in the same statement so that a secret
 * ended on any instance stops verifying at once although the intake caches secrets. Answers, per
 * event, whether its secret was current and whether it was stored.
 */
const INSERT_EVENTS = new PreparedStatement(
  'webhook_events_insert_many',
  `with input as (
     select * from ${unnestRows([], INSERT_COLUMNS).sql}
   ), signed as (
     select v.* from input v join webhook_secrets s on s.id = v.signed_by::uuid and s.application_id = v.application_id and ${currentWebhookSecretAt('v.received_at')}
   ), stored as (
     insert into webhook_events (id, application_id, stripe_account, type, stripe_created, api_version, livemode, payload, state, attempts, next_attempt_at, flag, received_at, raw_body, payload_note)
     select id, application_id, stripe_account, type, stripe_created, api_version, livemode, payload, 'received', 0, received_at, flag, received_at, decode(raw_body_hex, 'hex'), payload_note
     from signed
     on conflict (id) do nothing
     returning id
   )
   select v.id, g.id is not null as signed, t.id is not null as stored
   from input v left join signed g on g.id = v.id left join stored t on t.id = v.id`,
);

/**
 * Deliveries arriving together share intake statements: a month-start burst is thousands of
 * deliveries a second, and a statement, round trip and commit each cost PostgreSQL and the service
 * more than the row itself (issue 17). Each delivery is still answered only once its event is
 * committed, and a lone one leaves at once. One statement on its way at a time: the deliveries
 * arriving meanwhile go together in the next. Measured with `npm run bench -- webhooks` (2 cores):
 * accepted 113–121 % of the bare one-insert-per-delivery server with one in flight, 102–103 % with
 * two, 88–91 % with four, 79 % with eight; one statement of up to 100 events still takes a few
 * milliseconds, so an instance stores tens of thousands a second. A statement carries at most
 * 100 events and 1 MiB of payload. The same event id twice (Stripe retrying while its first
 * delivery is being stored) never shares a statement: the second is told it is a duplicate.
 */
const INSERTS_IN_FLIGHT = 1;
const EVENTS_PER_INSERT = 100;
const PAYLOAD_CHARS_PER_INSERT = 1 << 20;

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
  private readonly inserts = new SharedStatements<{ em: EntityManager; event: InboxInsert }, InboxInsertOutcome>((batch) => this.insertEvents(batch[0]!.em, batch.map((b) => b.event)), {
    inFlight: INSERTS_IN_FLIGHT,
    maxItems: EVENTS_PER_INSERT,
    weight: (b) => b.event.payload.length,
    maxWeight: PAYLOAD_CHARS_PER_INSERT,
    key: (b) => b.event.id,
    isolate: (error) => !isDatabaseConnectionError(error),
  });

  /** How many events wait for an intake statement while one is on its way. */
  insertsWaiting(): number {
    return this.inserts.waiting;
  }

  /** Stores an event unless its id is there already or the secret that verified it has ended since (see INSERT_EVENTS). */
  insert(em: EntityManager, event: InboxInsert): Promise<InboxInsertOutcome> {
    // Inside a transaction the event is the transaction's to commit: it shares no statement.
    if (em.isInTransaction()) return this.insertEvents(em, [event]).then(([outcome]) => outcome!);
    return this.inserts.submit({ em, event });
  }

  private async insertEvents(em: EntityManager, events: InboxInsert[]): Promise<InboxInsertOutcome[]> {
    const rows = await execPrepared<{ id: string; signed: boolean; stored: boolean }>(em, INSERT_EVENTS, unnestRows(events, INSERT_COLUMNS).params);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return events.map((e) => {
      const row = byId.get(e.id);
      if (!row) throw new Error(`the intake statement answered nothing for ${e.id}`);
      return !row.signed ? 'secret_ended' : row.stored ? 'stored' : 'duplicate';
    });
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
