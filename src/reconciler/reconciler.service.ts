import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { CatalogSyncService } from '../entitlements/catalog-sync.service.js';
import { IdentityService } from '../identity/identity.service.js';
import { Clock } from '../infra/clock/clock.js';
import type { AppConfig } from '../infra/config/config.js';
import { APP_CONFIG } from '../infra/config/config.module.js';
import { transactionalWithRetry } from '../infra/database/object-locks.js';
import { exec } from '../infra/database/sql.js';
import { AppError } from '../infra/errors/app-error.js';
import { Metrics } from '../infra/metrics/metrics.service.js';
import { StripeGateway } from '../infra/stripe/stripe.gateway.js';
import { SubscriptionMirrorRepository } from '../subscriptions/subscription-mirror.repository.js';
import { SubscriptionSyncService, type ListedSubscription } from '../subscriptions/subscription-sync.service.js';
import { TrialsService } from '../subscriptions/trials.service.js';
import { ApplicationsService } from '../tenancy/applications.service.js';
import type { Merchant } from '../tenancy/merchant.entity.js';
import { MerchantsService } from '../tenancy/merchants.service.js';
import { belongsToScope, ownerOf, type Owners } from './ownership.js';
import { PageWriteQueue } from './page-writes.js';
import { RateLimiter } from './rate-limiter.js';
import { ReconcileLock, type HeldLock } from './reconcile-lock.js';
import type { ReconcileRun } from './reconcile-run.entity.js';
import { ReconcileRunsRepository } from './reconcile-runs.repository.js';
import { requestsPerSecond } from './reconcile.dto.js';
import { PLATFORM_ACCOUNT, groupByStripeAccount, stripeAccountOf } from '../infra/stripe/accounts.js';
import { allSettledOrThrow, inGroupsOf } from '../infra/settled.js';

export interface ReconcileRequest {
  scope: 'platform' | 'merchant' | 'account';
  merchantId?: string;
  accountId?: string;
  allowDeletes: boolean;
  trigger: 'schedule' | 'admin' | 'cli';
}

export interface ReconcileProgress {
  stripeAccount: string;
  subscriptions: number;
  /** How many the mirror held before the run: the best guess of how many there are to list. */
  expected: number;
  stripeCalls: number;
  elapsedMs: number;
}

interface Counts {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  flagged: number;
  stripeCalls: number;
  /** Windows of `created` listed (each its own cursor chain), and how many of them held nothing (a call spent on a probe). */
  windows: number;
  emptyWindows: number;
}

/** Accounts whose catalogs a run syncs at once (each one's calls also go a few at once, see CatalogSyncService). */
const CATALOGS_AT_ONCE = 3;

/**
 * Part of an account's listing: one customer's subscriptions, or those created in [from, to)
 * (unbounded where undefined); `startingAfter` once its chain has begun. `planned`: cut from the
 * mirror to hold under WINDOW_OBJECTS, so split only if it turns out to hold more.
 */
interface ListWindow {
  customer?: string;
  from?: number;
  to?: number;
  startingAfter?: string;
  planned?: boolean;
}

/**
 * A listed page on its way to the database: the run's subscriptions in it, already reduced to their
 * rows (SubscriptionSyncService.prepareListing), and when it was read.
 */
interface ListedPage {
  objects: number;
  subscriptions: ListedSubscription[];
  readAt: number;
}

/** What the chains of a run share: how many may list at once, and the queue of the page writes. */
interface ChainBudget {
  max: number;
  active: number;
  writes: PageWriteQueue<ListedPage>;
  /** Aborted when the instance stops: the chains list no further page (see beforeApplicationShutdown). */
  stop: AbortSignal;
}

/**
 * Cuts the older part of a chain's window off into up to `count` windows of about WINDOW_OBJECTS
 * each (judged from the density of the chain's last page, newest first), the last one taking all
 * that is older. The chain keeps the newest slice, below its cursor. No cut when the page spans a
 * single second (its density says nothing) or the window has no room below its page.
 */
export function splitWindow(window: ListWindow, page: readonly { created: number }[], count: number): { kept: ListWindow; windows: ListWindow[] } {
  const newest = page[0]!.created;
  const oldest = page[page.length - 1]!.created;
  if (count < 1 || newest === oldest) return { kept: window, windows: [] };
  const width = Math.max(1, Math.ceil(((newest - oldest) / page.length) * WINDOW_OBJECTS));
  const floor = window.from ?? -Infinity;
  let bottom = oldest - width;
  if (bottom <= floor) return { kept: window, windows: [] };
  const kept = { ...window, from: bottom };
  const windows: ListWindow[] = [];
  while (windows.length < count - 1 && bottom - width > floor) {
    windows.push({ from: bottom - width, to: bottom });
    bottom -= width;
  }
  windows.push({ ...(window.from !== undefined ? { from: window.from } : {}), to: bottom });
  return { kept, windows };
}

const MAX_RATE_LIMIT_RETRIES = 8;
/**
 * How long a stopping instance waits for its runs to end once told to stop (a chain stops before
 * its next page; a page in flight may wait on Stripe for a long time). Well within the stop budget
 * of an orchestrator (Kubernetes gives 30 s by default).
 */
const STOP_GRACE_MS = 5_000;
/** What the record of a run that did not end on its own says. */
const INTERRUPTED = 'interrupted: the instance running it stopped before it ended';
const ABANDONED = 'interrupted: the instance running it is gone (it ended without recording the run)';
/**
 * Objects a window is cut to hold: thirty pages, so that its last, partial page (half a call on
 * average) adds under 2% to its calls; 100,000 subscriptions still make over 30 windows.
 */
const WINDOW_OBJECTS = 3000;
/**
 * Listed objects waiting for a writer before the chains wait (about 20 pages, each subscription
 * already reduced to its rows and stored text, not Stripe's expanded objects): enough to keep the
 * writers fed through the listing's bursts.
 */
const QUEUED_OBJECTS = 2000;

/**
 * Re-syncs the mirror from Stripe so that a missed webhook never leaves a wrong answer for long.
 * Per Stripe account that sells (the platform, shared by platform and destination merchants, and
 * each direct merchant's connected account): the catalog, then every subscription, 100 a page with
 * its customer and latest invoice expanded (about objects/100 calls, never one per subscription),
 * each page applied in one transaction under the ordering rule (a webhook newer than the listing
 * wins); then what Stripe no longer has is removed or flagged, and expired trials are ended.
 * One run per Stripe account at a time across instances (advisory lock); the request rate stays
 * within the budget, 429s are waited out; any other Stripe failure ends the run as failed with what
 * it had done recorded (every page is whole or not at all).
 *
 * This is the run's orchestration; which merchant and application a subscription belongs to is
 * decided in ownership.ts, and the run records are kept by ReconcileRunsRepository. The other
 * modules' rows are read and written through their services and repositories.
 */
@Injectable()
export class ReconcilerService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ReconcilerService.name);
  /** This instance's runs still going: how to stop them, their end, and their locks. */
  private readonly inFlight = new Map<string, { stop: AbortController; done: Promise<unknown>; release: () => Promise<unknown> }>();

  constructor(
    private readonly em: EntityManager,
    private readonly gateway: StripeGateway,
    private readonly sync: SubscriptionSyncService,
    private readonly mirror: SubscriptionMirrorRepository,
    private readonly catalog: CatalogSyncService,
    private readonly trials: TrialsService,
    private readonly merchants: MerchantsService,
    private readonly applications: ApplicationsService,
    private readonly identities: IdentityService,
    private readonly runs: ReconcileRunsRepository,
    private readonly locks: ReconcileLock,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Takes the locks and records the run, then returns it with a promise of its end: the admin API
   * answers at once, the command line waits. A scope already being reconciled is a 409.
   */
  async start(request: ReconcileRequest, onProgress?: (p: ReconcileProgress) => void): Promise<{ run: ReconcileRun; done: Promise<ReconcileRun> }> {
    const merchants = await this.merchantsOf(request);
    const accounts = [...new Set(merchants.map(stripeAccountOf))];
    const held: HeldLock[] = [];
    for (const account of accounts) {
      const lock = await this.locks.tryAcquire(account);
      if (!lock) {
        await Promise.all(held.map((h) => h.release()));
        throw AppError.conflict('reconcile_running', `A reconcile of ${account} is already running.`);
      }
      held.push(lock);
    }
    await this.closeAbandoned(new Set(accounts)).catch((error: unknown) => this.logger.warn(`closing the records of abandoned reconcile runs failed: ${(error as Error).message}`));
    const run = await this.runs.start({
      scope: request.scope,
      merchantId: request.merchantId ?? null,
      accountId: request.accountId ?? null,
      trigger: request.trigger,
      allowDeletes: request.allowDeletes,
    });
    let released: Promise<unknown> | undefined;
    const release = () => (released ??= Promise.all(held.map((h) => h.release())));
    const stop = new AbortController();
    const done = this.execute(run, request, merchants, release, stop.signal, onProgress).finally(() => {
      this.inFlight.delete(run.id);
      return release();
    });
    this.inFlight.set(run.id, { stop, done, release });
    return { run, done };
  }

  /**
   * A deploy or scale-down stops instances in the middle of runs. Each run of this one is told to
   * stop (its chains list no further page; the pages listed are written), and recorded as failed,
   * interrupted, with what it had done; one still waiting on Stripe after STOP_GRACE_MS is recorded
   * so at once, while the database is still open, and its locks let go. Before the shutdown hooks
   * (the database closes in one of those), so that the record can be written.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.inFlight.size === 0) return;
    for (const run of this.inFlight.values()) run.stop.abort(new Error(INTERRUPTED));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)));
    await Promise.race([Promise.allSettled([...this.inFlight.values()].map((run) => run.done)), grace]);
    clearTimeout(timer);
    for (const [id, run] of this.inFlight) {
      this.logger.warn(`reconcile run ${id} did not end within ${STOP_GRACE_MS} ms of the stop: recorded as interrupted`);
      await this.runs.interrupt(id, INTERRUPTED).catch((error: unknown) => this.logger.error(`recording reconcile run ${id} as interrupted failed: ${(error as Error).message}`));
      await run.release();
    }
  }

  /**
   * The records of runs whose instance ended without recording them (a crash, a kill) say
   * `running` until something closes them. Holding the locks of every Stripe account such a run
   * touches proves that no instance runs it any more (a live run holds them), so a run that takes
   * those locks closes its record as failed, interrupted. A run closed wrongly (its merchants
   * changed since it started) still records its own outcome when it ends.
   */
  private async closeAbandoned(held: Set<string>): Promise<void> {
    for (const record of await this.runs.running()) {
      if (this.inFlight.has(record.id)) continue;
      const request: ReconcileRequest = { scope: record.scope as ReconcileRequest['scope'], ...(record.merchantId ? { merchantId: record.merchantId } : {}), ...(record.accountId ? { accountId: record.accountId } : {}), allowDeletes: record.allowDeletes, trigger: record.trigger as ReconcileRequest['trigger'] };
      const accounts = (await this.merchantsOf(request).catch(() => [])).map(stripeAccountOf);
      if (accounts.length > 0 && accounts.every((account) => held.has(account))) {
        this.logger.warn(`reconcile run ${record.id} was left running by an instance that is gone: recorded as interrupted`);
        await this.runs.interrupt(record.id, ABANDONED);
      }
    }
  }

  private async execute(run: ReconcileRun, request: ReconcileRequest, merchants: Merchant[], releaseLocks: () => Promise<unknown>, stop: AbortSignal, onProgress?: (p: ReconcileProgress) => void): Promise<ReconcileRun> {
    const counts: Counts = { created: 0, updated: 0, deleted: 0, unchanged: 0, flagged: 0, stripeCalls: 0, windows: 0, emptyWindows: 0 };
    const limiter = new RateLimiter(this.config.RECONCILER_MAX_REQUESTS_PER_SECOND);
    let error: string | null = null;
    try {
      const byAccount = [...groupByStripeAccount(merchants)];
      // The catalogs first, so that the subscriptions' products and features are known; a few accounts
      // side by side (CATALOGS_AT_ONCE: each catalog is a few round trips to Stripe, which one account
      // after the other held back the whole run, 0.6 s an account at Stripe's latency, issue 17;
      // not all at once, which would burst past Stripe's rate limit on a platform of many). Then the accounts'
      // subscriptions side by side, sharing the request budget and the chains.
      if (request.scope !== 'account') {
        const catalogCallsBefore = this.gateway.callCount;
        try {
          await inGroupsOf(CATALOGS_AT_ONCE, byAccount, async ([stripeAccount, group]) => {
            stop.throwIfAborted();
            await this.syncCatalog(stripeAccount, group);
          });
        } finally {
          counts.stripeCalls += this.gateway.callCount - catalogCallsBefore;
        }
      }
      const chains: ChainBudget = {
        stop,
        max: this.config.RECONCILER_LIST_CHAINS,
        active: 0,
        writes: new PageWriteQueue<ListedPage>({ concurrency: this.config.RECONCILER_WRITE_CONCURRENCY, batchObjects: this.config.RECONCILER_WRITE_BATCH, maxQueuedObjects: QUEUED_OBJECTS }),
      };
      await allSettledOrThrow(byAccount.map(([stripeAccount, group]) => this.reconcileAccount(stripeAccount, group, request, counts, limiter, chains, onProgress)));
      await this.trials.expireDue();
    } catch (failure) {
      error = failure instanceof AppError ? `${failure.code}: ${failure.message}` : failure instanceof Error ? failure.message : String(failure);
      this.logger.error(`reconcile run ${run.id} failed: ${error}`);
    }
    // The locks go before the record says the run has ended: whoever sees it ended may start the
    // next run at once, and a lock still held would refuse that with 409 reconcile_running. Every
    // write of this run is done by now; only its record is left.
    await releaseLocks();
    const stored = await this.runs.finish(run.id, {
      status: error ? 'failed' : 'succeeded',
      created: counts.created,
      updated: counts.updated,
      deleted: counts.deleted,
      unchanged: counts.unchanged,
      flagged: counts.flagged,
      stripeCalls: counts.stripeCalls,
      windows: counts.windows,
      emptyWindows: counts.emptyWindows,
      error,
    });
    const seconds = ((stored.finishedAt ?? new Date()).getTime() - stored.startedAt.getTime()) / 1000;
    this.metrics.reconcileRun({ trigger: request.trigger, status: stored.status, seconds, ...counts });
    this.logger.log(
      `reconcile run ${run.id} ${stored.status}: created ${counts.created}, updated ${counts.updated}, unchanged ${counts.unchanged}, deleted ${counts.deleted}, flagged ${counts.flagged}, ${counts.stripeCalls} Stripe calls in ${counts.windows} windows (${counts.emptyWindows} empty), ${requestsPerSecond(stored)} requests/s`,
    );
    return stored;
  }

  /** An account's catalog. Its calls meet Stripe's rate limit like the listing's: a 429 is waited out, not a failed run. */
  private async syncCatalog(stripeAccount: string, merchants: Merchant[]): Promise<void> {
    await this.waitingOutRateLimits(stripeAccount, () => this.catalog.syncAccount(stripeAccount, merchants));
  }

  private async reconcileAccount(stripeAccount: string, merchants: Merchant[], request: ReconcileRequest, counts: Counts, limiter: RateLimiter, chains: ChainBudget, onProgress?: (p: ReconcileProgress) => void): Promise<void> {
    const started = Date.now();
    const scopeMerchant = merchants[0]!;
    const owners = await this.owners();
    const seen = new Set<string>();
    const expected = await this.mirror.countOnStripeAccount(this.em.fork(), stripeAccount);
    const windows =
      request.scope === 'account' ? (await this.customersOf(request.accountId!, stripeAccount)).map((customer) => ({ customer })) : await this.firstWindows(stripeAccount, expected, chains.max);
    await this.listAndWrite(stripeAccount, windows, { owners, merchants, scopeMerchant, expected, started }, limiter, counts, seen, chains, onProgress);
    const vanished = await this.vanished(stripeAccount, merchants, request, seen);
    const removed = await this.em.fork().transactional((tx) => this.mirror.removeOrFlag(tx, vanished, request.allowDeletes, this.clock.now()));
    counts.deleted += removed.deleted;
    counts.flagged += removed.flagged;
  }

  /**
   * Lists every page of the account (or of the account's customers) and hands each page to the
   * run's write queue (PageWriteQueue), which the chains do not wait for unless it is full, so that
   * the listing is bound by Stripe and the request budget, not by the database. One cursor chain
   * is bound to one page per round trip to Stripe (hundreds of milliseconds with expansions), so
   * the account's listing is split into windows of `created` listed side by side, up to
   * `chains.max` chains in flight for the run, all within the run's request budget: a chain that
   * still has more after a page hands the older part of its window to new chains, cut from the
   * density of that page to hold about WINDOW_OBJECTS each. It makes fewer new windows than the
   * account has listed pages, so that a small account spends few calls on windows that turn out
   * empty (a 450-subscription account: one), while a large one doubles its chains about every
   * other round trip. An account whose objects all share one second cannot be split: one chain.
   * Every page handed over is written (or has failed the run) before this returns.
   */
  private async listAndWrite(
    stripeAccount: string,
    windows: ListWindow[],
    scope: { owners: Owners; merchants: Merchant[]; scopeMerchant: Merchant; expected: number; started: number },
    limiter: RateLimiter,
    counts: Counts,
    seen: Set<string>,
    chains: ChainBudget,
    onProgress?: (p: ReconcileProgress) => void,
  ): Promise<void> {
    const { owners, merchants, scopeMerchant, expected, started } = scope;
    const pending = [...windows];
    const running = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    let listed = 0;
    let pagesListed = 0;

    const written: Promise<void>[] = [];

    // The pages of a batch (see PageWriteQueue) in one transaction; a batch that loses a deadlock
    // with a worker or request writing the same customers is written again.
    const writeBatch = async (pages: ListedPage[]): Promise<void> => {
      const subscriptions = pages.flatMap((p) => p.subscriptions);
      // Written as of the batch's earliest read: a webhook newer than any of its pages keeps its place.
      const readAt = Math.min(...pages.map((p) => p.readAt));
      const outcome = await transactionalWithRetry(this.em, async (tx) => {
        // A page lost to a crash right after its commit is simply listed again by the next run,
        // so the run does not wait for each commit to reach the disk.
        await exec(tx, 'set local synchronous_commit = off');
        return this.sync.applyListedPage(tx, subscriptions, stripeAccount, readAt);
      });
      for (const [id, result] of outcome) {
        seen.add(id);
        if (result === 'created') counts.created += 1;
        else if (result === 'updated') counts.updated += 1;
        else counts.unchanged += 1;
      }
    };

    // One page of a chain listed (`listedBefore`: what the chain listed before it), the windows it
    // shows split off, and the run's subscriptions in it reduced to their rows: the parsed page is
    // garbage once this returns, before the chain waits for room in the queue. `next`: the chain's
    // window after this page, none when it is done.
    const listAndPrepare = async (window: ListWindow, listedBefore: number): Promise<{ mine: ListedSubscription[]; listed: number; next?: ListWindow }> => {
      const page = await this.listPage(stripeAccount, window, limiter, counts);
      pagesListed += 1;
      if (page.data.length === 0) counts.emptyWindows += 1;
      const more = page.has_more && page.data.length > 0;
      const listedHere = listedBefore + page.data.length;
      let next: ListWindow | undefined;
      if (more) {
        next = { ...window, startingAfter: page.data[page.data.length - 1]!.id };
        if (!next.customer && (!next.planned || listedHere >= WINDOW_OBJECTS)) {
          const cut = splitWindow(next, page.data, Math.min(pagesListed - 1, chains.max - chains.active - pending.length));
          next = cut.kept;
          pending.push(...cut.windows);
          launch();
        }
      }
      listed += page.data.length;
      const inScope = page.data.filter((s) => belongsToScope(s, owners, merchants));
      const mine = await this.sync.prepareListing(inScope, stripeAccount, (s) => ownerOf(s, owners, stripeAccount, scopeMerchant));
      return { mine, listed: listedHere, ...(next ? { next } : {}) };
    };

    const chain = async (first: ListWindow): Promise<void> => {
      let window: ListWindow | undefined = first;
      let listedHere = 0;
      while (!failure && window) {
        chains.stop.throwIfAborted();
        // Listed one second back: a webhook of the very second of the listing may be newer, so it keeps its place.
        const readAt = this.clock.nowSeconds() - 1;
        const { mine, listed: listedNow, next } = await listAndPrepare(window, listedHere);
        listedHere = listedNow;
        window = next;
        // The page is handed to the writers and the next one listed at once; the chain waits only
        // while the queue is full (the database behind), holding this one page.
        if (mine.length) {
          const queued = await chains.writes.add(stripeAccount, { objects: mine.length, subscriptions: mine, readAt }, writeBatch);
          queued.written.catch((error: unknown) => {
            failure ??= { error };
          });
          written.push(queued.written);
        }
        onProgress?.({ stripeAccount, subscriptions: listed, expected, stripeCalls: counts.stripeCalls, elapsedMs: Date.now() - started });
      }
    };

    const launch = () => {
      while (pending.length > 0 && chains.active < chains.max && !failure) {
        const window = pending.shift()!;
        counts.windows += 1;
        chains.active += 1;
        const run: Promise<void> = chain(window)
          .catch((error: unknown) => {
            failure ??= { error };
          })
          .finally(() => {
            chains.active -= 1;
            running.delete(run);
            launch();
          });
        running.add(run);
      }
    };

    launch();
    // Every chain (and the page it was writing) has finished or failed before the run goes on or ends.
    while (running.size > 0 || (pending.length > 0 && !failure)) {
      if (running.size === 0) launch();
      await Promise.all([...running]);
    }
    // And every page handed to the writers is written (or its batch failed) before the run goes on.
    await Promise.allSettled(written);
    if (failure) throw failure.error;
  }

  /**
   * Where an account's listing starts: the whole account as one window, or, when the mirror
   * already holds more than a window's worth (every run after the first), windows of under
   * WINDOW_OBJECTS each (split further only if they turn out larger) cut at the quantiles of the mirrored subscriptions' `created`, so that the
   * run lists with all its chains from its first round trip instead of growing them page by page,
   * at no Stripe call. The oldest and newest windows are open-ended: what was created since the
   * last run, or is older than the mirror knows, is listed too.
   */
  private async firstWindows(stripeAccount: string, expected: number, maxChains: number): Promise<ListWindow[]> {
    const parts = Math.min(maxChains, Math.ceil(expected / WINDOW_OBJECTS));
    if (parts < 2) return [{}];
    const bounds = await this.mirror.createdQuantiles(this.em.fork(), stripeAccount, parts);
    return [...bounds, undefined].map((to, i) => ({ ...(i > 0 ? { from: bounds[i - 1] } : {}), ...(to !== undefined ? { to } : {}), planned: true }));
  }

  /** One page of subscriptions (all statuses), waiting out 429s with a growing pause. */
  private async listPage(stripeAccount: string, window: ListWindow, limiter: RateLimiter, counts: Counts): Promise<Stripe.ApiList<Stripe.Subscription>> {
    const { customer, startingAfter, from, to } = window;
    const created = from !== undefined || to !== undefined ? { created: { ...(from !== undefined ? { gte: from } : {}), ...(to !== undefined ? { lt: to } : {}) } } : {};
    return this.waitingOutRateLimits(stripeAccount, async () => {
      await limiter.take();
      counts.stripeCalls += 1;
      return this.gateway.call('subscriptions.list', (s) =>
        s.subscriptions.list(
          { status: 'all', limit: 100, expand: ['data.customer', 'data.latest_invoice'], ...(customer ? { customer } : {}), ...(startingAfter ? { starting_after: startingAfter } : {}), ...created },
          this.gateway.accountOptions(stripeAccount),
        ),
      );
    });
  }

  /** Runs `work` again after a growing pause while Stripe answers 429 (up to MAX_RATE_LIMIT_RETRIES times). */
  private async waitingOutRateLimits<T>(stripeAccount: string, work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'stripe_rate_limited') || attempt >= MAX_RATE_LIMIT_RETRIES) throw error;
        const pause = Math.min(30_000, 250 * 2 ** attempt);
        this.logger.warn(`Stripe rate-limited the reconcile of ${stripeAccount}; waiting ${pause} ms`);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  private async merchantsOf(request: ReconcileRequest): Promise<Merchant[]> {
    if (request.scope === 'platform') return this.merchants.activeMerchants();
    const merchant = request.merchantId ? await this.merchants.findMerchant(request.merchantId) : null;
    if (request.scope === 'merchant') {
      if (!merchant) throw AppError.badRequest('merchant_required', 'A merchant reconcile needs merchant_id.');
      return [merchant];
    }
    if (!request.accountId) throw AppError.badRequest('account_required', 'An account reconcile needs account_id.');
    return merchant ? [merchant] : this.merchants.activeMerchants();
  }

  /** What ownership is decided from (see ownership.ts): every application's merchant, and the destination merchants. */
  private async owners(): Promise<Owners> {
    const [apps, destinations] = await Promise.all([this.applications.merchantsByApplication(), this.merchants.destinationMerchants()]);
    return { apps, destinations };
  }

  /**
   * The customers to list for an account: its identity's, and those of the subscriptions mirrored
   * for it (an account that was a different customer before, e.g. after that one was deleted, still
   * has its earlier subscriptions in Stripe; unlisted, they would count as vanished).
   */
  private async customersOf(accountId: string, stripeAccount: string): Promise<string[]> {
    const em = this.em.fork();
    const identity = await this.identities.customerOf(em, accountId, stripeAccount);
    const mirrored = await this.mirror.customersOfAccount(em, accountId, stripeAccount);
    return [...new Set([...(identity ? [identity.customerId] : []), ...mirrored])].sort();
  }

  /** Mirrored subscriptions of the scope that the listing did not return. */
  private async vanished(stripeAccount: string, merchants: Merchant[], request: ReconcileRequest, seen: Set<string>): Promise<string[]> {
    const only =
      request.scope === 'account' ? { accountId: request.accountId! }
      : request.scope === 'merchant' && stripeAccount === PLATFORM_ACCOUNT ? { merchantId: merchants[0]!.id }
      : {};
    const ids = await this.mirror.idsOnStripeAccount(this.em.fork(), stripeAccount, only);
    return ids.filter((id) => !seen.has(id));
  }
}
