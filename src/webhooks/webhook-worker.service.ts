import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DeadlockException, EntityManager } from '@mikro-orm/core';
import { Clock } from '../infra/clock/clock.js';
import type { AppConfig } from '../infra/config/config.js';
import { APP_CONFIG } from '../infra/config/config.module.js';
import { isPermanentDataError } from '../infra/database/errors.js';
import { AppError } from '../infra/errors/app-error.js';
import { Metrics } from '../infra/metrics/metrics.service.js';
import { EventApplier, NeedsAttention, ScopeCache } from './event-applier.service.js';
import { InboxRepository, type ClaimedEvent } from './inbox.repository.js';

const MAX_RETRY_DELAY_SECONDS = 6 * 3600;
/** How long a slot pauses when every event it claimed was busy in another transaction. */
const BUSY_PAUSE_MS = 20;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What one batch did: events claimed, and how many of them were left because another transaction was writing their object. */
export interface BatchResult {
  claimed: number;
  busy: number;
}

/**
 * Applies stored events. Each slot claims a batch of due events in one transaction
 * (FOR UPDATE SKIP LOCKED, so slots and instances never share an event), try-locks the customers
 * (or products) they write in one statement, leaving events of busy ones for a later batch, and
 * applies the rest: subscription and invoice events all at once in one savepoint (a few set-based
 * statements for the whole batch, `EventApplier.applyBatch`), what that leaves one by one, each in
 * its own savepoint. The events' effects and their `processed` marks commit together, so a crash
 * at any point leaves an event either applied and marked, or neither. A lock conflict with another
 * batch ends the batch early without counting an attempt (the rest is claimed again). A failing
 * event is rolled back to its savepoint and retried later with exponential backoff and jitter, and
 * marked dead after WEBHOOK_MAX_ATTEMPTS; its failure does not disturb the rest of the batch (a
 * failing bulk write is rolled back and its events applied one by one, so that only the failing
 * one fails).
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookWorker.name);
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private wakeUp: (() => void)[] = [];

  constructor(
    private readonly em: EntityManager,
    private readonly inbox: InboxRepository,
    private readonly applier: EventApplier,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.WEBHOOK_WORKER_ENABLED) return;
    this.running = true;
    for (let slot = 0; slot < this.config.WEBHOOK_WORKER_CONCURRENCY; slot++) this.loops.push(this.loop());
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.notify();
    await Promise.all(this.loops);
  }

  /**
   * Whether the slots are applying events: true from start-up until shutdown begins, when the
   * worker is enabled. The readiness probe (/health/ready) reports an enabled worker not running.
   */
  isRunning(): boolean {
    return this.running && this.loops.length > 0;
  }

  /** New events were stored: idle slots look at once instead of at their next poll. */
  notify(): void {
    const waiting = this.wakeUp;
    this.wakeUp = [];
    for (const wake of waiting) wake();
  }

  /** Applies due events until none is left; returns how many were claimed. Also used by tests and benchmarks. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await this.runBatch();
      if (batch.claimed === 0) return total;
      total += batch.claimed;
      if (batch.busy === batch.claimed) await pause(BUSY_PAUSE_MS);
    }
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let batch: BatchResult = { claimed: 0, busy: 0 };
      try {
        batch = await this.runBatch();
      } catch (error) {
        this.metrics.webhookBatchFailed();
        this.logger.error(`webhook batch failed: ${(error as Error).message}`);
      }
      if (batch.claimed === 0 && this.running) await this.idle();
      // Every event claimed waits on an object another transaction is writing: let it finish.
      else if (batch.busy === batch.claimed && this.running) await pause(BUSY_PAUSE_MS);
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.config.WEBHOOK_WORKER_POLL_MS);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp.push(done);
    });
  }

  /**
   * One transaction: claim a batch, apply each event in its own savepoint, record each outcome.
   * An event whose object (customer or product) another transaction is writing is left for a later
   * batch, not waited for: a batch holds the locks of the objects it already applied, so waiting
   * could close a circle with another batch.
   */
  async runBatch(): Promise<BatchResult> {
    return this.em.fork().transactional(async (tx) => {
      const events = await this.inbox.claimDue(tx, this.clock.now(), this.config.WEBHOOK_WORKER_BATCH_SIZE);
      if (events.length === 0) return { claimed: 0, busy: 0 };
      const ready = await this.applier.tryLock(tx, events);
      const busy = events.length - ready.length;
      const scopes = new ScopeCache();
      const processed: ClaimedEvent[] = [];
      let left: ClaimedEvent[];
      try {
        const batch = await this.applier.applyBatch(tx, ready, scopes);
        processed.push(...batch.applied);
        left = batch.left;
      } catch (error) {
        if (!(error instanceof DeadlockException)) throw error;
        this.logger.debug('a batch met a lock conflict; claimed again');
        return { claimed: events.length, busy };
      }
      for (const event of left) {
        try {
          await tx.transactional((savepoint) => this.applier.apply(savepoint, event, scopes));
          processed.push(event);
        } catch (error) {
          if (error instanceof DeadlockException) {
            // Another instance's batch holds rows this event needs while it waits for rows this batch
            // holds. Not the event's fault, so not an attempt: commit what is done, which lets the
            // other batch finish, and leave this event and the rest to be claimed again at once.
            this.logger.debug(`event ${event.id} met a lock conflict; claimed again`);
            break;
          }
          await this.recordFailure(tx, event.id, event.attempts, error, event.type);
        }
      }
      await this.inbox.markProcessed(tx, processed.map((e) => e.id), this.clock.now());
      // Counted before the batch commits: a batch lost to an outage counts its events again when they are re-applied.
      for (const event of processed) this.metrics.webhookApplied(event.type);
      return { claimed: events.length, busy };
    });
  }

  private async recordFailure(tx: EntityManager, id: string, attempts: number, error: unknown, type: string): Promise<void> {
    const message = describeFailure(error);
    if (error instanceof NeedsAttention) {
      this.metrics.webhookFailed(type, true, error.flag);
      await this.inbox.markDead(tx, id, message, error.flag);
      return;
    }
    if (isPermanentDataError(error)) {
      // PostgreSQL refuses what the event holds (a value too long, out of range, of the wrong kind):
      // it would fail the same way at every attempt, so it waits for a person at once (replayable).
      this.logger.warn(`event ${id} cannot be applied as it is, now dead: ${message}`);
      this.metrics.webhookFailed(type, true, 'unappliable');
      await this.inbox.markDead(tx, id, message, 'unappliable');
      return;
    }
    const attempt = attempts + 1;
    const dead = attempt >= this.config.WEBHOOK_MAX_ATTEMPTS;
    this.logger.warn(`event ${id} failed (attempt ${attempt}${dead ? ', now dead' : ''}): ${message}`);
    this.metrics.webhookFailed(type, dead);
    await this.inbox.markFailed(tx, id, message, dead ? null : new Date(this.clock.now().getTime() + retryDelaySeconds(attempt, this.config.WEBHOOK_RETRY_BASE_SECONDS) * 1000));
  }
}

/** Exponential backoff with full jitter between half and the whole delay, capped at 6 hours. */
export function retryDelaySeconds(attempt: number, baseSeconds: number): number {
  const ceiling = Math.min(MAX_RETRY_DELAY_SECONDS, baseSeconds * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** What `last_error` says: our error code when there is one (`stripe_unavailable: ...`), which tells an operator what failed; else the error's name. */
function describeFailure(error: unknown): string {
  if (error instanceof AppError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
