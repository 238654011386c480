import { Inject, Injectable, Logger, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import pg from 'pg';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { exec } from './sql.js';

/** What a subscriber to a channel is told. */
export interface NotificationSubscriber {
  /** A NOTIFY on the channel, committed by some instance (this one included). */
  message(payload: string): void;
  /**
   * The listener (re)connected: anything committed while it was not listening went unheard, so
   * whatever was derived from the database must be read again. Called once LISTEN is in place,
   * so that a change committed after this call is heard.
   */
  resync(): void;
}

/** Backoff of reconnection attempts: 250 ms doubling up to 30 s, with up to 20 % jitter so that instances do not reconnect in step. */
const RECONNECT_BASE_MS = 250;
const RECONNECT_MAX_MS = 30_000;

/**
 * PostgreSQL LISTEN/NOTIFY for caches that several instances keep of the same rows: a writer
 * sends `pg_notify` in the transaction of its change (PostgreSQL delivers it only at commit, so a
 * change that rolls back is never announced), and every instance hears it on a connection of its
 * own that does nothing but LISTEN.
 *
 * The listening connection is a plain `pg` client outside the ORM's pool: a pooled connection is
 * handed to other queries and released, and its LISTEN would go with it. It must reach PostgreSQL
 * directly or through a pooler in session mode (PgBouncer in transaction mode drops LISTEN).
 * When it drops, it is opened again with backoff and, once LISTEN is back, subscribers resync
 * (they clear their caches): notifications sent meanwhile are lost. Their caches' TTL remains the
 * bound in the meantime, and for a connection that died without PostgreSQL or the OS noticing yet.
 *
 * On embedded PGlite there is no listener and nothing is sent. The decision: PGlite lives inside
 * this process (in memory, or in a DATA_DIR that one process at a time may open), so there is
 * exactly one instance and no other to tell; a writer invalidates its own caches once its
 * transaction has committed, which is all an embedded database needs. (PGlite has a LISTEN API
 * of its own, but it would only ever carry notifications from this process back to itself.)
 *
 * Infrastructure only: channels and payloads are the subscribers' business.
 */
@Injectable()
export class DatabaseNotifications implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(DatabaseNotifications.name);
  private readonly url: string | undefined;
  private readonly subscribers = new Map<string, Set<NotificationSubscriber>>();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'DATABASE_URL'>) {
    this.url = config.DATABASE_URL || undefined;
  }

  /** Whether notifications travel between instances (real PostgreSQL), rather than not at all (PGlite). */
  get enabled(): boolean {
    return this.url !== undefined;
  }

  /** Whether the listening connection is up with LISTEN in place (false on PGlite). */
  get listening(): boolean {
    return this.client !== undefined;
  }

  async onModuleInit(): Promise<void> {
    // Awaited so that the instance hears changes from the moment it serves; a failure here is
    // retried in the background (the caches' TTL covers the gap) rather than stopping the start.
    if (this.enabled) await this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /**
   * Subscribes to a channel (a plain identifier), resolving once LISTEN is in place when the
   * connection is up (a connection still to come LISTENs to every channel subscribed by then).
   * Returns the unsubscribe function.
   */
  async subscribe(channel: string, subscriber: NotificationSubscriber): Promise<() => void> {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`Invalid notification channel "${channel}"`);
    const set = this.subscribers.get(channel) ?? new Set();
    const first = set.size === 0;
    set.add(subscriber);
    this.subscribers.set(channel, set);
    const client = this.client;
    if (first && client) await client.query(`listen ${channel}`).catch((error: unknown) => this.connectionLost(client, error));
    return () => {
      set.delete(subscriber);
    };
  }

  /**
   * Announces a change on a channel in the transaction of `em` (which must be inside one, so that
   * the announcement is sent at commit and dropped on rollback). Nothing is sent on PGlite.
   */
  async notify(em: EntityManager, channel: string, payload: string): Promise<void> {
    if (!this.enabled) return;
    if (!em.isInTransaction()) throw new Error('DatabaseNotifications.notify must run inside the transaction of the change');
    await exec(em, 'select pg_notify(?, ?)', [channel, payload]);
  }

  private connect(): Promise<void> {
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'billing-notifications',
      // A start-up must not hang on an unreachable database: the attempt fails and is retried.
      connectionTimeoutMillis: 10_000,
      // A peer that vanished without closing the connection is noticed by TCP keepalive.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on('error', (error) => this.connectionLost(client, error));
    client.on('end', () => this.connectionLost(client));
    client.on('notification', (n) => this.deliver(n.channel, n.payload ?? ''));
    try {
      await client.connect();
      for (const channel of this.subscribers.keys()) await client.query(`listen ${channel}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      if (!this.closed) this.scheduleReconnect(error);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    const reconnected = this.failures > 0;
    this.failures = 0;
    if (reconnected) this.logger.log('Listening for database notifications again');
    for (const set of this.subscribers.values()) for (const s of set) this.safely(() => s.resync());
  }

  private connectionLost(client: pg.Client, error?: unknown): void {
    if (this.client !== client) return; // an old client, or one still connecting (open() handles it)
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (!this.closed) this.scheduleReconnect(error);
  }

  private scheduleReconnect(error?: unknown): void {
    if (this.reconnectTimer) return;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** this.failures) * (1 + Math.random() * 0.2);
    this.failures += 1;
    this.logger.warn(`Database notifications connection lost (${error instanceof Error ? error.message : 'closed'}); reconnecting in ${Math.round(delay)} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed) void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private deliver(channel: string, payload: string): void {
    for (const s of this.subscribers.get(channel) ?? []) this.safely(() => s.message(payload));
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.logger.error(`A notification subscriber failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Imported by the modules whose caches follow database changes; one listening connection for all of them. */
@Module({ providers: [DatabaseNotifications], exports: [DatabaseNotifications] })
export class DatabaseNotificationsModule {}
