import { Inject, Injectable, Logger } from '@nestjs/common';
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
import { SubscriptionSyncService } from '../subscriptions/subscription-sync.service.js';
import { TrialsService } from '../subscriptions/trials.service.js';
import { ApplicationsService } from '../tenancy/applications.service.js';
import type { Merchant } from '../tenancy/merchant.entity.js';
import { MerchantsService } from '../tenancy/merchants.service.js';
import { belongsToScope, ownerOf, type Owners } from './ownership.js';
import { RateLimiter } from './rate-limiter.js';
import { ReconcileLock, type HeldLock } from './reconcile-lock.js';
import type { ReconcileRun } from './reconcile-run.entity.js';
import { ReconcileRunsRepository } from './reconcile-runs.repository.js';
import { PLATFORM_ACCOUNT, groupByStripeAccount, stripeAccountOf } from '../infra/stripe/accounts.js';

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
}

const MAX_RATE_LIMIT_RETRIES = 8;
/** Pages written at once: the database works on some while the next is prepared (4 was no faster on 2 cores and held more memory). */
const WRITES_IN_FLIGHT = 3;

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
export class ReconcilerService {
  private readonly logger = new Logger(ReconcilerService.name);

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
    const run = await this.runs.start({
      scope: request.scope,
      merchantId: request.merchantId ?? null,
      accountId: request.accountId ?? null,
      trigger: request.trigger,
      allowDeletes: request.allowDeletes,
    });
    const done = this.execute(run, request, merchants, onProgress).finally(() => Promise.all(held.map((h) => h.release())));
    return { run, done };
  }

  private async execute(run: ReconcileRun, request: ReconcileRequest, merchants: Merchant[], onProgress?: (p: ReconcileProgress) => void): Promise<ReconcileRun> {
    const counts: Counts = { created: 0, updated: 0, deleted: 0, unchanged: 0, flagged: 0, stripeCalls: 0 };
    const limiter = new RateLimiter(this.config.RECONCILER_MAX_REQUESTS_PER_SECOND);
    let error: string | null = null;
    try {
      const byAccount = groupByStripeAccount(merchants);
      for (const [stripeAccount, group] of byAccount) {
        await this.reconcileAccount(stripeAccount, group, request, counts, limiter, onProgress);
      }
      await this.trials.expireDue();
    } catch (failure) {
      error = failure instanceof AppError ? `${failure.code}: ${failure.message}` : failure instanceof Error ? failure.message : String(failure);
      this.logger.error(`reconcile run ${run.id} failed: ${error}`);
    }
    const stored = await this.runs.finish(run.id, {
      status: error ? 'failed' : 'succeeded',
      created: counts.created,
      updated: counts.updated,
      deleted: counts.deleted,
      unchanged: counts.unchanged,
      flagged: counts.flagged,
      stripeCalls: counts.stripeCalls,
      error,
    });
    const seconds = ((stored.finishedAt ?? new Date()).getTime() - stored.startedAt.getTime()) / 1000;
    this.metrics.reconcileRun({ trigger: request.trigger, status: stored.status, seconds, ...counts });
    this.logger.log(
      `reconcile run ${run.id} ${stored.status}: created ${counts.created}, updated ${counts.updated}, unchanged ${counts.unchanged}, deleted ${counts.deleted}, flagged ${counts.flagged}, ${counts.stripeCalls} Stripe calls`,
    );
    return stored;
  }

  private async reconcileAccount(stripeAccount: string, merchants: Merchant[], request: ReconcileRequest, counts: Counts, limiter: RateLimiter, onProgress?: (p: ReconcileProgress) => void): Promise<void> {
    const started = Date.now();
    const scopeMerchant = merchants[0]!;
    if (request.scope !== 'account') {
      // The catalog first, so that the subscriptions' products and features are known.
      // Its calls meet Stripe's rate limit like the listing's: a 429 is waited out, not a failed run.
      await this.waitingOutRateLimits(stripeAccount, async () => {
        const catalogCallsBefore = this.gateway.callCount;
        try {
          await this.catalog.syncAccount(stripeAccount, merchants);
        } finally {
          counts.stripeCalls += this.gateway.callCount - catalogCallsBefore;
        }
      });
    }
    const owners = await this.owners();
    const customers = request.scope === 'account' ? await this.customersOf(request.accountId!, stripeAccount) : [undefined];
    const seen = new Set<string>();
    const expected = await this.mirror.countOnStripeAccount(this.em.fork(), stripeAccount);
    const writes: Promise<void>[] = [];
    let failure: unknown;
    try {
      await this.listAndWrite(stripeAccount, customers, { owners, merchants, scopeMerchant, expected, started }, limiter, counts, seen, writes, onProgress);
    } catch (error) {
      failure = error;
    }
    // Every page handed to the database has finished (or failed) before the run goes on or ends.
    const settled = await Promise.allSettled(writes);
    const writeFailure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure !== undefined || writeFailure) throw failure ?? writeFailure!.reason;
    const vanished = await this.vanished(stripeAccount, merchants, request, seen);
    const removed = await this.em.fork().transactional((tx) => this.mirror.removeOrFlag(tx, vanished, request.allowDeletes, this.clock.now()));
    counts.deleted += removed.deleted;
    counts.flagged += removed.flagged;
  }

  /** Lists every page of the account (or of the account's customers) and hands each page to a write. */
  private async listAndWrite(
    stripeAccount: string,
    customers: (string | undefined)[],
    scope: { owners: Owners; merchants: Merchant[]; scopeMerchant: Merchant; expected: number; started: number },
    limiter: RateLimiter,
    counts: Counts,
    seen: Set<string>,
    writes: Promise<void>[],
    onProgress?: (p: ReconcileProgress) => void,
  ): Promise<void> {
    const { owners, merchants, scopeMerchant, expected, started } = scope;
    let listed = 0;
    for (const customer of customers) {
      // The next page is fetched while this one is written, so Stripe and the database work side by side.
      let readAt = this.clock.nowSeconds() - 1;
      let next: Promise<Stripe.ApiList<Stripe.Subscription>> | undefined = this.listPage(stripeAccount, customer, undefined, limiter, counts);
      while (next) {
        const page = await next;
        const pageReadAt = readAt;
        next = undefined;
        if (page.has_more && page.data.length > 0) {
          // Listed one second back: a webhook of the very second of the listing may be newer, so it keeps its place.
          readAt = this.clock.nowSeconds() - 1;
          next = this.listPage(stripeAccount, customer, page.data[page.data.length - 1]!.id, limiter, counts);
          next.catch(() => undefined); // awaited on the next turn; a failure is handled there
        }
        const mine = page.data.filter((s) => belongsToScope(s, owners, merchants));
        if (mine.length) {
          // Up to WRITES_IN_FLIGHT pages are written at once, each in its own transaction.
          // A page that loses a deadlock with a worker or request writing the same customers is written again.
          const write = transactionalWithRetry(this.em, async (tx) => {
            // A page lost to a crash right after its commit is simply listed again by the next run,
            // so the run does not wait for each commit to reach the disk.
            await exec(tx, 'set local synchronous_commit = off');
            return this.sync.applyListingPage(tx, mine, stripeAccount, (s) => ownerOf(s, owners, stripeAccount, scopeMerchant), pageReadAt);
          }).then((outcome) => {
            for (const [id, result] of outcome) {
              seen.add(id);
              if (result === 'created') counts.created += 1;
              else if (result === 'updated') counts.updated += 1;
              else counts.unchanged += 1;
            }
          });
          write.catch(() => undefined); // awaited below or by the caller; a failure is handled there
          writes.push(write);
          if (writes.length >= WRITES_IN_FLIGHT) await writes.shift();
        }
        listed += page.data.length;
        onProgress?.({ stripeAccount, subscriptions: listed, expected, stripeCalls: counts.stripeCalls, elapsedMs: Date.now() - started });
      }
    }
  }

  /** One page of subscriptions (all statuses), waiting out 429s with a growing pause. */
  private async listPage(stripeAccount: string, customer: string | undefined, startingAfter: string | undefined, limiter: RateLimiter, counts: Counts): Promise<Stripe.ApiList<Stripe.Subscription>> {
    return this.waitingOutRateLimits(stripeAccount, async () => {
      await limiter.take();
      counts.stripeCalls += 1;
      return this.gateway.call('subscriptions.list', (s) =>
        s.subscriptions.list(
          { status: 'all', limit: 100, expand: ['data.customer', 'data.latest_invoice'], ...(customer ? { customer } : {}), ...(startingAfter ? { starting_after: startingAfter } : {}) },
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
