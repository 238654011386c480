import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { ReadTarget } from './read-replicas.js';

/** Accounts remembered at most; past it, expired entries are dropped (a burst only costs memory briefly). */
const PRUNE_AT = 10_000;

/**
 * Read-your-writes with asynchronous replicas: an account that has just changed something (a
 * checkout synced, a plan changed, a cancel) reads from the primary for DATABASE_READ_YOUR_WRITES_MS,
 * so its billing page shows the change even while a replica is a moment behind. Other reads (other
 * accounts, partners' lookups) take the replica and may trail the primary by the replica's lag, as
 * they would trail a webhook. Per instance: behind a load balancer without affinity, an account's
 * next read may reach another instance within the window and see the replica; the window is a
 * courtesy for the usual case (the same connection), not a guarantee.
 */
@Injectable()
export class ReadYourWrites {
  private readonly until = new Map<string, number>();
  private readonly enabled: boolean;
  private readonly windowMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.enabled = config.DATABASE_REPLICA_URLS.length > 0 && config.DATABASE_READ_YOUR_WRITES_MS > 0;
    this.windowMs = config.DATABASE_READ_YOUR_WRITES_MS;
  }

  /** The account changed (or is changing) something through this instance. */
  wrote(accountId: string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (this.until.size >= PRUNE_AT) for (const [key, until] of this.until) if (until <= now) this.until.delete(key);
    this.until.set(accountId, now + this.windowMs);
  }

  /** Where the account's reads go now. */
  targetFor(accountId: string): ReadTarget {
    if (!this.enabled) return 'primary';
    const until = this.until.get(accountId);
    return until !== undefined && until > Date.now() ? 'primary' : 'replica';
  }
}
