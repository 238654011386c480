import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AppError } from '../errors/app-error.js';
import { LimitStore, type LimitCount } from './limit-store.js';

/**
 * How long this instance trusts "not locked out" for an address before asking the store again: the
 * check runs on every admin and partner request (the lookup's hot path), so an address that failed
 * on another instance is locked out here within a second rather than at once.
 */
const CLEAR_FOR_MS = 1_000;
const MAX_REMEMBERED = 10_000;

/**
 * Failed admin-token and API-key attempts per client address (AUTH_FAILURE_LIMIT per
 * AUTH_FAILURE_WINDOW_SECONDS): past the limit the address is locked out of the admin and partner
 * routes until the window ends, a correct credential included, so that guessing gets nowhere.
 * Only wrong credentials count; a missing one is not a guess.
 */
@Injectable()
export class AuthFailures {
  private readonly clear = new Map<string, number>();
  /** Reads of an address's count on their way: the requests that find its "clear" expired together share one. */
  private readonly reading = new Map<string, Promise<LimitCount | null>>();

  constructor(
    private readonly store: LimitStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** 429 too_many_failed_attempts while `ip` is locked out. */
  async assertNotLockedOut(ip: string): Promise<void> {
    if (this.config.AUTH_FAILURE_LIMIT === 0) return;
    const clearUntil = this.clear.get(ip);
    if (clearUntil !== undefined && clearUntil > Date.now()) return;
    const count = await this.read(ip);
    if (count && count.hits >= this.config.AUTH_FAILURE_LIMIT) {
      this.clear.delete(ip);
      throw lockedOut(count.resetMs);
    }
    if (this.clear.size >= MAX_REMEMBERED) this.clear.delete(this.clear.keys().next().value!);
    this.clear.set(ip, Date.now() + CLEAR_FOR_MS);
  }

  /** Counts a wrong credential from `ip`. */
  async recordFailure(ip: string): Promise<void> {
    if (this.config.AUTH_FAILURE_LIMIT === 0) return;
    this.clear.delete(ip);
    // A read already on its way may not include this failure: later requests read afresh.
    this.reading.delete(ip);
    try {
      await this.store.hit(keyOf(ip), this.config.AUTH_FAILURE_WINDOW_SECONDS * 1000);
    } catch (error) {
      // The caller is answered 401 all the same; a store that is down only stops the counting.
      new Logger('AuthFailures').warn(`counting a failed attempt failed: ${(error as Error).message}`);
    }
  }

  private read(ip: string): Promise<LimitCount | null> {
    const shared = this.reading.get(ip);
    if (shared) return shared;
    const pending: Promise<LimitCount | null> = this.store
      .peek(keyOf(ip))
      .catch((error: unknown) => {
        // Fail open: the credential check that follows still refuses a wrong one.
        new Logger('AuthFailures').warn(`reading failed attempts failed: ${(error as Error).message}`);
        return null;
      })
      .finally(() => {
        if (this.reading.get(ip) === pending) this.reading.delete(ip);
      });
    this.reading.set(ip, pending);
    return pending;
  }
}

const keyOf = (ip: string) => `auth_failures:${ip}`;

function lockedOut(resetMs: number): AppError {
  return AppError.retryable(HttpStatus.TOO_MANY_REQUESTS, 'too_many_failed_attempts', 'Too many failed attempts from this address; try again after Retry-After seconds.', Math.max(1, Math.ceil(resetMs / 1000)));
}
