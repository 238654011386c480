import { Logger } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { exec } from '../database/sql.js';
import { execPrepared, PreparedStatement } from '../database/prepared.js';
import { SharedStatements } from '../database/shared-statements.js';

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

  /** Counts one hit of `key` and answers the count including it (`limit`: the key's limit, when it has one). */
  abstract hit(key: string, windowMs: number, limit?: number): Promise<LimitCount>;
  /** The count of `key` without counting (null: no hit in a current window). */
  abstract peek(key: string): Promise<LimitCount | null>;
  /** Forgets every window that has ended. */
  protected abstract purge(): Promise<void>;

  /**
   * Counts one hit when that takes no round trip (this instance's memory), without a promise; else
   * undefined and nothing counted (then `hit`).
   */
  protected hitNow(_key: string, _windowMs: number, _limit?: number): LimitCount | undefined {
    return undefined;
  }

  async increment(key: string, ttl: number, limit: number): ReturnType<ThrottlerStorage['increment']> {
    this.purgeNow();
    return asRecord(await this.hit(key, ttl, limit), limit);
  }

  /**
   * `increment` when the count is in this instance's memory (the memory store; a batched key between
   * its flushes): answered at once, no promise. Undefined when the count needs the database, with
   * nothing counted: then call `increment`. The hot paths count every request (issue 17).
   */
  incrementNow(key: string, ttl: number, limit: number): Awaited<ReturnType<ThrottlerStorage['increment']>> | undefined {
    this.purgeNow();
    const count = this.hitNow(key, ttl, limit);
    return count && asRecord(count, limit);
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

/** A count as @nestjs/throttler's storage answers it. */
function asRecord({ hits, resetMs }: LimitCount, limit: number): Awaited<ReturnType<ThrottlerStorage['increment']>> {
  const seconds = Math.max(1, Math.ceil(resetMs / 1000));
  return { totalHits: hits, timeToExpire: seconds, isBlocked: hits > limit, timeToBlockExpire: hits > limit ? seconds : 0 };
}

/** THROTTLE_STORE=memory: this instance's own counts (N instances allow N times the limits). */
export class MemoryLimitStore extends LimitStore {
  private readonly windows = new Map<string, { hits: number; endsAt: number }>();

  hit(key: string, windowMs: number): Promise<LimitCount> {
    return Promise.resolve(this.hitNow(key, windowMs));
  }

  protected override hitNow(key: string, windowMs: number): LimitCount {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { hits: 0, endsAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.hits += 1;
    return { hits: window.hits, resetMs: window.endsAt - now };
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
 * One statement per batch of hits, atomic under concurrency: the insert of a new key and the
 * increment of an existing one are the same upsert, and PostgreSQL serialises upserts of one key on
 * its row, so requests sent at the same time to any number of instances are each counted once. The
 * database's clock decides the windows, so instances whose clocks differ agree. Its keys are in
 * order, so that two statements (of two instances) wait for each other's rows in the same order and
 * never deadlock. Prepared once per connection: it runs on the hot lookup path.
 */
const HITS = new PreparedStatement(
  'request_limits_add_many',
  `insert into request_limits (key, hits, window_ends_at)
   select h.key, h.hits, now() + make_interval(secs => h.window_ms / 1000)
     from unnest(?::text[], ?::int[], ?::float8[]) as h(key, hits, window_ms)
     order by h.key
   on conflict (key) do update set
     hits = case when request_limits.window_ends_at <= now() then excluded.hits else request_limits.hits + excluded.hits end,
     window_ends_at = case when request_limits.window_ends_at <= now() then excluded.window_ends_at else request_limits.window_ends_at end
   returning key, hits, ceil(extract(epoch from window_ends_at - now()) * 1000)::int as reset_ms`,
);
/**
 * How many statements of hits may be on their way at once; the hits that arrive while they all are
 * go together in the next one (SharedStatements). Under load that is one statement for many
 * requests' hits instead of one each (`features` counts every request of an account exactly, and
 * that write cost it about as much as its own query, issue 17); a lone hit still leaves at once.
 */
const HIT_STATEMENTS_IN_FLIGHT = 2;
/** The most hits one statement carries. */
const HITS_PER_STATEMENT = 500;

/** Hits to add to a key's shared count. */
interface Hits {
  key: string;
  hits: number;
  windowMs: number;
}

const PEEK = new PreparedStatement(
  'request_limits_peek',
  `select hits, ceil(extract(epoch from window_ends_at - now()) * 1000)::int as reset_ms from request_limits where key = ? and window_ends_at > now()`,
);

/**
 * Limits of at least this many hits per window are counted in batches (see PostgresLimitStore);
 * smaller ones (failed attempts, an account's few hundred a minute) hit by hit.
 *
 * Why not lease small limits too (an instance reserving a few hits of a key in one write and
 * spending them from memory, as `features` would like: its write per request costs about as much
 * PostgreSQL work as the features query itself, issue 17)? The total would never pass the limit,
 * but hits reserved and not yet spent on one instance would count on every other: a caller spread
 * over instances could be refused before reaching its limit, and X-RateLimit-Remaining would
 * undercount what is left. Small limits are documented as exact (README, Request limits), so they
 * stay hit by hit: each hit is in the shared count before its request goes on. What makes them
 * cheaper is that the hits of requests arriving together (of any keys) share one statement
 * (HIT_STATEMENTS_IN_FLIGHT), each still answered its own count.
 */
export const BATCHED_LIMIT_FROM = 1000;
/** How long a batched key's hits may wait in memory before they are added to the shared count. */
export const BATCH_FLUSH_MS = 250;
/** How many of them may wait (a share of the key's limit): what an instance may let through past the limit is about this. */
const BATCH_SHARE = 0.01;
/** From this share of its limit on, a batched key is counted hit by hit again, so the limit itself is exact. */
const EXACT_FROM_SHARE = 0.9;

interface BatchedKey {
  /** Hits of this instance not yet added to the shared count. */
  pending: number;
  /** The shared count as last read (our flushed hits included), when, and its window's end. */
  shared: number;
  readAt: number;
  endsAt: number;
  /** A flush of this key is on its way to the database. */
  flushing: boolean;
}

/**
 * THROTTLE_STORE=postgres: the request_limits table, shared by every instance on the database.
 * A generous limit on a hot path (a partner's lookups, an application's webhooks: thousands a
 * minute) would otherwise cost a write of one hot row per request, which measured as a quarter of
 * the lookup's throughput. Such keys are counted in memory and added to the shared row at most
 * every BATCH_FLUSH_MS; each instance decides from the shared count it last read plus its own
 * pending hits, and goes back to one statement per hit from 90 % of the limit on. The price: below
 * that share, the instances' counts may trail each other by a quarter of a second of traffic, and
 * by at most 1 % of the limit per instance.
 */
export class PostgresLimitStore extends LimitStore {
  private readonly batched = new Map<string, BatchedKey>();
  // A failed statement fails its hits together (the guard lets their requests through): its error is the database's, not a hit's.
  private readonly hits = new SharedStatements<Hits, LimitCount>((batch) => this.countHits(batch), { inFlight: HIT_STATEMENTS_IN_FLIGHT, maxItems: HITS_PER_STATEMENT, isolate: () => false });

  constructor(private readonly em: EntityManager) {
    super();
  }

  /** A hit of a batched key that is held in memory (see below); undefined when it is due, or the key is counted hit by hit. */
  protected override hitNow(key: string, _windowMs: number, limit?: number): LimitCount | undefined {
    if (limit === undefined || limit < BATCHED_LIMIT_FROM) return undefined;
    const now = Date.now();
    const state = this.batched.get(key);
    const belowExact = state !== undefined && now < state.endsAt && state.shared + state.pending + 1 < limit * EXACT_FROM_SHARE;
    // While one flush is on its way, the hits arriving meanwhile wait for the next one: under load
    // every request of the round trip would otherwise find the key due and send a flush of its own
    // (measured: one upsert per five lookups instead of four a second). Otherwise a key is due every
    // BATCH_FLUSH_MS or every BATCH_SHARE of its limit, whichever comes first: a quarter of a second
    // of a fast caller's traffic can be many times that share, and what an instance holds back is
    // what the others cannot see (two instances at 260 requests/s each let 1,040 through a limit of 1,000).
    const held = state !== undefined && (state.flushing || (now - state.readAt < BATCH_FLUSH_MS && state.pending + 1 < Math.max(1, Math.floor(limit * BATCH_SHARE))));
    if (!belowExact || !held) return undefined;
    state.pending += 1;
    return { hits: state.shared + state.pending, resetMs: state.endsAt - now };
  }

  async hit(key: string, windowMs: number, limit?: number): Promise<LimitCount> {
    if (limit === undefined || limit < BATCHED_LIMIT_FROM) return this.add(key, 1, windowMs);
    const held = this.hitNow(key, windowMs, limit);
    if (held) return held;
    const now = Date.now();
    const state = this.batched.get(key);
    // Due (or near the limit, or a new window): this hit and the pending ones go to the shared count now.
    const adding = (state && now < state.endsAt ? state.pending : 0) + 1;
    if (state) {
      state.pending = 0;
      state.flushing = true;
    }
    try {
      const count = await this.add(key, adding, windowMs);
      const after = Date.now();
      const current = this.batched.get(key);
      this.batched.set(key, { pending: current?.pending ?? 0, shared: count.hits, readAt: after, endsAt: after + count.resetMs, flushing: false });
      return { hits: count.hits + (current?.pending ?? 0), resetMs: count.resetMs };
    } catch (error) {
      // Not counted: give the hits back for the next attempt (the guard lets the request through).
      if (state) {
        state.pending += adding - 1;
        state.flushing = false;
      }
      throw error;
    }
  }

  /** Adds `hits` to `key`'s shared count; the count including them, as if each hit had been sent alone. */
  private add(key: string, hits: number, windowMs: number): Promise<LimitCount> {
    return this.hits.submit({ key, hits, windowMs });
  }

  /**
   * One statement for a batch. A key hit several times in it is added once, with their sum (a row
   * can be updated only once by a statement); each of its hits is then answered the count it would
   * have had alone, in the order they came: the last one the new total, each earlier one less what
   * came after it. So every hit still has its own count, and exactly the limit gets through.
   */
  private async countHits(batch: Hits[]): Promise<LimitCount[]> {
    const byKey = new Map<string, { hits: number; windowMs: number }>();
    for (const hit of batch) {
      const entry = byKey.get(hit.key);
      if (entry) entry.hits += hit.hits;
      else byKey.set(hit.key, { hits: hit.hits, windowMs: hit.windowMs });
    }
    const keys = [...byKey.keys()];
    const rows = await execPrepared<{ key: string; hits: number; reset_ms: number }>(this.em, HITS, [keys, keys.map((k) => byKey.get(k)!.hits), keys.map((k) => byKey.get(k)!.windowMs)]);
    const counted = new Map(rows.map((row) => [row.key, { total: row.hits, after: byKey.get(row.key)!.hits, resetMs: row.reset_ms }]));
    return batch.map((hit) => {
      const row = counted.get(hit.key);
      if (!row) throw new Error(`request_limits answered no count for ${hit.key}`);
      row.after -= hit.hits;
      return { hits: row.total - row.after, resetMs: row.resetMs };
    });
  }

  async peek(key: string): Promise<LimitCount | null> {
    const [row] = await execPrepared<{ hits: number; reset_ms: number }>(this.em, PEEK, [key]);
    return row ? { hits: row.hits, resetMs: row.reset_ms } : null;
  }

  protected async purge(): Promise<void> {
    const now = Date.now();
    for (const [key, state] of this.batched) if (state.endsAt <= now && state.pending === 0) this.batched.delete(key);
    await exec(this.em, 'delete from request_limits where window_ends_at <= now()');
  }
}
