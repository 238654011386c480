import { Injectable, Logger } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RequestSeries } from './request-series.js';

/** Request and query latencies: from a millisecond (a mirror read) to Stripe's slowest calls. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Reconcile runs: seconds for a small store to an hour for a large one. */
const RUN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

/** The label of requests that matched no route (404s, malformed paths): one series, whatever the path. */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * Node's process metrics (CPU, memory, event loop, GC, handles) under their standard names, so that
 * the usual Node dashboards work. One registry per process, however many applications it runs (the
 * tests start several): the collectors prom-client installs (GC observer, event-loop monitor) are
 * process-wide and cannot be removed.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** What a reconcile run did, as its record says (reconcile_runs). */
export interface ReconcileRunMetrics {
  trigger: string;
  status: string;
  seconds: number;
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  flagged: number;
}

/**
 * The service's Prometheus metrics, in one registry per application, and the small methods the
 * modules record through (so label names are spelled in one place). Gauges that describe the
 * database (inbox depth, pool) are filled at scrape time by collectors the owning modules register
 * with `onScrape`: infra imports no domain module, the modules import this.
 */
@Injectable()
export class Metrics {
  private readonly logger = new Logger(Metrics.name);
  readonly registry = new Registry();
  private readonly collectors = new Map<string, () => Promise<void>>();

  // Observed on every request: kept by RequestSeries rather than prom-client's own classes (why there).
  private readonly httpRequests = new RequestSeries(this.registry, 'billing_http_request_duration_seconds', 'Time to answer an HTTP request, by route template, method and status', LATENCY_BUCKETS, {
    name: 'billing_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status',
  });

  private readonly webhooksReceived = this.counter('billing_webhook_events_received_total', 'Correctly signed webhook events received (duplicates included), by event type', ['type']);
  private readonly webhooksDuplicate = this.counter('billing_webhook_events_duplicate_total', 'Webhook events received again (already in the inbox, not stored twice), by event type', ['type']);
  private readonly webhooksApplied = this.counter('billing_webhook_events_applied_total', 'Webhook events applied to the mirror, by event type', ['type']);
  private readonly webhooksFailed = this.counter('billing_webhook_events_failed_total', 'Failed attempts to apply a webhook event (retried later with backoff), by event type', ['type']);
  private readonly webhooksDead = this.counter('billing_webhook_events_dead_total', 'Webhook events marked dead (waiting for a person; replayable), by event type and reason', ['type', 'reason']);
  private readonly webhookBatchFailures = this.counter('billing_webhook_batch_failures_total', 'Worker batches that failed as a whole (database outage, lost connection); their events are claimed again', []);
  private readonly inboxEvents = this.gauge('billing_webhook_inbox_events', 'Webhook events not yet applied, by state (received, processing, failed, dead); processed events are counted by billing_webhook_events_applied_total', ['state']);
  private readonly inboxOldestAge = this.gauge('billing_webhook_inbox_oldest_unapplied_age_seconds', 'Age of the oldest received or failed (due or waiting to retry) webhook event; 0 when none', []);

  private readonly stripeCalls = this.counter('billing_stripe_calls_total', 'Stripe calls (each with the SDK\'s retries), by operation and outcome (ok, or the error code the service answered)', ['operation', 'outcome']);
  private readonly stripeDuration = this.histogram('billing_stripe_call_duration_seconds', 'Time of a Stripe call, retries included, by operation and outcome', ['operation', 'outcome'], LATENCY_BUCKETS);
  private readonly stripeRetries = this.counter('billing_stripe_retries_total', 'Attempts of Stripe calls beyond the first (the SDK retries 409, 429, 5xx and connection errors), by operation', ['operation']);
  private readonly stripeAttempts = this.counter('billing_stripe_http_attempts_total', 'HTTP attempts sent to Stripe, by result: the status (429 on its own), timeout, or network_error', ['result']);

  private readonly reconcileRuns = this.counter('billing_reconcile_runs_total', 'Reconcile runs ended, by trigger (schedule, admin, cli) and outcome (succeeded, failed)', ['trigger', 'outcome']);
  private readonly reconcileDuration = this.histogram('billing_reconcile_run_duration_seconds', 'Duration of reconcile runs, by trigger and outcome', ['trigger', 'outcome'], RUN_BUCKETS);
  private readonly reconcileListed = this.counter('billing_reconcile_objects_listed_total', 'Subscriptions listed from Stripe and compared with the mirror by reconcile runs', []);
  private readonly reconcileDrift = this.counter('billing_reconcile_drift_healed_total', 'Mirror rows a reconcile run had to create, update or delete (what webhooks missed), by change', ['change']);
  private readonly reconcileFlagged = this.counter('billing_reconcile_flagged_total', 'Mirrored subscriptions Stripe no longer has, flagged (not deleted) by reconcile runs', []);
  private readonly reconcileLastSuccess = this.gauge('billing_reconcile_last_success_timestamp_seconds', 'When the last succeeded reconcile run of this instance ended (unix seconds)', []);

  private readonly lookupDuration = new RequestSeries(this.registry, 'billing_partner_lookup_duration_seconds', 'Time of partner lookups (app-payment-customers) from the mirror, by outcome', LATENCY_BUCKETS);
  private readonly lookupCompanies = this.counter('billing_partner_lookup_companies_total', 'Company ids asked for by partner lookups', []);
  private readonly featuresDuration = new RequestSeries(this.registry, 'billing_features_duration_seconds', 'Time of features answers from the mirror, by outcome', LATENCY_BUCKETS);

  private readonly poolConnections = this.gauge('billing_db_pool_connections', 'Database pool connections by state (in_use, idle); PostgreSQL only, PGlite has one in-process connection and no pool', ['pool', 'state']);
  private readonly poolWaiting = this.gauge('billing_db_pool_waiting', 'Queries waiting for a pool connection; PostgreSQL only', ['pool']);
  private readonly poolMax = this.gauge('billing_db_pool_max_connections', 'Largest number of connections of the pool (DATABASE_POOL_MAX; 1 on PGlite)', ['pool']);

  private readonly collectorFailures = this.counter('billing_metrics_collector_failures_total', 'Scrape-time collectors that failed (the database unreachable); their gauges keep the last value', ['collector']);

  /** The exposition's content type (Prometheus text format). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Runs `collect` before each scrape (the owning module's cheap query for its gauges). */
  onScrape(name: string, collect: () => Promise<void>): void {
    this.collectors.set(name, collect);
  }

  /** The Prometheus text of the process metrics and this application's own. */
  async render(): Promise<string> {
    await Promise.all(
      [...this.collectors].map(async ([name, collect]) => {
        try {
          await collect();
        } catch (error) {
          this.collectorFailures.inc({ collector: name });
          this.logger.warn(`metrics collector ${name} failed: ${(error as Error).message}`);
        }
      }),
    );
    return `${await processMetrics().metrics()}\n${await this.registry.metrics()}`;
  }

  /** Every answer, by its route's template (never the raw URL: ids in paths must not grow the series without bound). */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpRequests.observe(`${method} ${status} ${route}`, () => ({ method, route, status: String(status) }), seconds);
  }

  webhookReceived(type: string, duplicate: boolean): void {
    this.webhooksReceived.inc({ type });
    if (duplicate) this.webhooksDuplicate.inc({ type });
  }

  webhookApplied(type: string): void {
    this.webhooksApplied.inc({ type });
  }

  webhookFailed(type: string, dead: boolean, reason = 'max_attempts'): void {
    this.webhooksFailed.inc({ type });
    if (dead) this.webhooksDead.inc({ type, reason });
  }

  webhookBatchFailed(): void {
    this.webhookBatchFailures.inc();
  }

  /** The inbox at scrape time: unapplied events by state, and the oldest due one's age. */
  setInbox(byState: Record<string, number>, oldestAgeSeconds: number): void {
    this.inboxEvents.reset();
    for (const [state, n] of Object.entries(byState)) this.inboxEvents.set({ state }, n);
    this.inboxOldestAge.set(oldestAgeSeconds);
  }

  /** One Stripe call: its outcome (`ok` or our error code), its time and how many HTTP attempts it took. */
  stripeCall(operation: string, outcome: string, seconds: number, attempts: number): void {
    this.stripeCalls.inc({ operation, outcome });
    this.stripeDuration.observe({ operation, outcome }, seconds);
    if (attempts > 1) this.stripeRetries.inc({ operation }, attempts - 1);
  }

  /** One HTTP attempt to Stripe: its status, `timeout` or `network_error`. */
  stripeAttempt(result: string): void {
    this.stripeAttempts.inc({ result });
  }

  reconcileRun(run: ReconcileRunMetrics): void {
    const labels = { trigger: run.trigger, outcome: run.status };
    this.reconcileRuns.inc(labels);
    this.reconcileDuration.observe(labels, run.seconds);
    this.reconcileListed.inc(run.created + run.updated + run.unchanged);
    for (const change of ['created', 'updated', 'deleted'] as const) this.reconcileDrift.inc({ change }, run[change]);
    this.reconcileFlagged.inc(run.flagged);
    if (run.status === 'succeeded') this.reconcileLastSuccess.setToCurrentTime();
  }

  /** Times a partner lookup of `companies` company ids. */
  partnerLookup<T>(companies: number, work: () => Promise<T>): Promise<T> {
    this.lookupCompanies.inc(companies);
    return timed(this.lookupDuration, work);
  }

  features<T>(work: () => Promise<T>): Promise<T> {
    return timed(this.featuresDuration, work);
  }

  /** The pool at scrape time; `inUse`, `idle` and `waiting` are undefined where the driver has no pool to count. */
  setPool(pool: string, state: { max: number; inUse?: number; idle?: number; waiting?: number }): void {
    this.poolMax.set({ pool }, state.max);
    if (state.inUse !== undefined) this.poolConnections.set({ pool, state: 'in_use' }, state.inUse);
    if (state.idle !== undefined) this.poolConnections.set({ pool, state: 'idle' }, state.idle);
    if (state.waiting !== undefined) this.poolWaiting.set({ pool }, state.waiting);
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(name: string, help: string, labelNames: L[], buckets: number[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}

const OK = () => ({ outcome: 'ok' });
const ERROR = () => ({ outcome: 'error' });

/** The time of `work` in `series`, by outcome. */
function timed<T>(series: RequestSeries, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  return work().then(
    (result) => {
      series.observe('ok', OK, seconds());
      return result;
    },
    (error: unknown) => {
      series.observe('error', ERROR, seconds());
      throw error;
    },
  );
}
