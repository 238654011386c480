import { Logger } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { exec } from '../database/sql.js';
import { execPrepared, PreparedStatement } from '../database/prepared.js';

const PURGE_EVERY_MS = 60_000;

/** A key's count in its current window, and the milliseconds until that window ends. */
export interface LimitCount {
  hits: number;
  resetMs: number;
}

/**
 * Where the request limits count (THROTTLE_STORE): fixed windows, one counter per key, started by
 * the first hit of a key and reset by the first hit after it ended. Fixed rather than sliding:
 * one row and one atomic statement per hit, and a reset time a client can be told exactly.
 * It is @nestjs/throttler's storage too (`increment`), so the library's guard counts through it.
 */
export abstract class LimitStore implements ThrottlerStorage {
  private nextPurgeAt = Date.now() + PURGE_EVERY_MS;

  /** Counts one hit of `key` and answers the count including it. */
  abstract hit(key: string, windowMs: number): Promise<LimitCount>;
  /** The count of `key` without counting (null: no hit in a current window). */
  abstract peek(key: string): Promise<LimitCount | null>;
  /** Forgets every window that has ended. */
  protected abstract purge(): Promise<void>;

  async increment(key: string, ttl: number, limit: number): ReturnType<ThrottlerStorage['increment']> {
    this.purgeNow();
    const { hits, resetMs } = await this.hit(key, ttl);
    const seconds = Math.max(1, Math.ceil(resetMs / 1000));
    return { totalHits: hits, timeToExpire: seconds, isBlocked: hits > limit, timeToBlockExpire: hits > limit ? seconds : 0 };
  }

  /**
   * Ended windows are dead weight (a new hit starts the key afresh anyway): swept at most once a
   * minute per instance, started by a request rather than a timer, so that an idle or closing
   * instance does no work (through the window_ends_at index on PostgreSQL; deleting twice is harmless).
   */
  private purgeNow(): void {
    if (Date.now() < this.nextPurgeAt) return;
    this.nextPurgeAt = Date.now() + PURGE_EVERY_MS;
    this.purge().catch((error: unknown) => new Logger('RequestLimits').warn(`purging ended request-limit windows failed: ${(error as Error).message}`));
  }
}

/** THROTTLE_STORE=memory: this instance's own counts (N instances allow N times the limits). */
export class MemoryLimitStore extends LimitStore {
  private readonly windows = new Map<string, { hits: number; endsAt: number }>();

  hit(key: string, windowMs: number): Promise<LimitCount> {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { hits: 0, endsAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.hits += 1;
    return Promise.resolve({ hits: window.hits, resetMs: window.endsAt - now });
  }

  peek(key: string): Promise<LimitCount | null> {
    const now = Date.now();
    const window = this.windows.get(key);
    return Promise.resolve(window && window.endsAt > now ? { hits: window.hits, resetMs: window.endsAt - now } : null);
  }

  protected purge(): Promise<void> {
    const now = Date.now();
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
    return Promise.resolve();
  }
}

/**
 * One statement per hit, atomic under concurrency: the insert of a new key and the increment of an
 * existing one are the same upsert, and PostgreSQL serialises upserts of one key on its row, so
 * requests sent at the same time to any number of instances are each counted once. The database's
 * clock decides the windows, so instances whose clocks differ agree. Prepared once per connection:
 * it runs on the hot lookup path.
 */
const HIT = new PreparedStatement(
  'request_limits_hit',
  `insert into request_limits (key, hits, window_ends_at) values (?, 1, now() + make_interval(secs => ?::float8 / 1000))
   on conflict (key) do update set
     hits = case when request_limits.window_ends_at <= now() then 1 else request_limits.hits + 1 end,
     window_ends_at = case when request_limits.window_ends_at <= now() then excluded.window_ends_at else request_limits.window_ends_at end
   returning hits, ceil(extract(epoch from window_ends_at - now()) * 1000)::int as reset_ms`,
);
const PEEK = new PreparedStatement(
  'request_limits_peek',
  `select hits, ceil(extract(epoch from window_ends_at - now()) * 1000)::int as reset_ms from request_limits where key = ? and window_ends_at > now()`,
);

/** THROTTLE_STORE=postgres: the request_limits table, shared by every instance on the database. */
export class PostgresLimitStore extends LimitStore {
  constructor(private readonly em: EntityManager) {
    super();
  }

  async hit(key: string, windowMs: number): Promise<LimitCount> {
    const [row] = await execPrepared<{ hits: number; reset_ms: number }>(this.em, HIT, [key, windowMs]);
    return { hits: row!.hits, resetMs: row!.reset_ms };
  }

  async peek(key: string): Promise<LimitCount | null> {
    const [row] = await execPrepared<{ hits: number; reset_ms: number }>(this.em, PEEK, [key]);
    return row ? { hits: row.hits, resetMs: row.reset_ms } : null;
  }

  protected async purge(): Promise<void> {
    await exec(this.em, 'delete from request_limits where window_ends_at <= now()');
  }
}
