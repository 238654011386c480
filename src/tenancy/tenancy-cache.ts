import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { DatabaseNotifications } from '../infra/database/notifications.js';
import type { Application } from './application.entity.js';
import type { Merchant } from './merchant.entity.js';
import { TtlCache } from './ttl-cache.js';

/**
 * How long hot-path reads of applications (with their merchant) and API keys are reused. Changes reach other instances at once through TENANCY_CHANNEL; this bounds staleness
 * when a notification is lost (the listening connection down, before it reconnects and clears the caches).
 */
const HOT_PATH_TTL_MS = 5_000;

/** The PostgreSQL NOTIFY channel of tenancy changes; the payload is a JSON TenancyChange. */
export const TENANCY_CHANNEL = 'tenancy_changed';

/** What changed, as far as the caches are concerned: the application, the merchant (any of its applications) or the API key (by hash). */
export type TenancyChange = { application: string } | { merchant: string } | { api_key: string };

export interface CachedApplication {
  application: Application;
  merchant: Merchant;
}

/** A webhook signing secret of an application, with when it stops verifying (null: the current one, until rotated). */
export interface CachedWebhookSecret {
  id: string;
  secret: string;
  expiresAt: number | null;
}

export interface CachedKey {
  id: string;
  applicationId: string;
  revoked: boolean;
  lastUsedAt: number | null;
}

/**
 * The tenancy caches of this instance and how they follow changes: every writer of tenancy rows
 * (merchants, applications and their secrets, partner keys) announces its change with NOTIFY in
 * the transaction of the change and forgets it here at once; every instance listens and forgets
 * what others announce. One place, so that no service can change a row without its cache entry
 * following. Null entries cache absence (an unknown application or key).
 */
@Injectable()
export class TenancyCache implements OnModuleInit, OnModuleDestroy {
  /** By application id; null: there is no such application. */
  readonly applications = new TtlCache<CachedApplication | null>(HOT_PATH_TTL_MS);
  /** By key hash. */
  readonly apiKeys = new TtlCache<CachedKey | null>(HOT_PATH_TTL_MS);
  /**
   * By application id: its webhook signing secrets, newest first (null: there is no such
   * application). Never the last word on a secret: the intake stores an event only if the secret
   * that verified it is still current in the database (see WebhookIntakeService).
   */
  readonly webhookSecrets = new TtlCache<CachedWebhookSecret[] | null>(HOT_PATH_TTL_MS);
  /** The union of every application's allowed origins (one entry, 'all'), for CORS preflights. */
  readonly browserOrigins = new TtlCache<ReadonlySet<string>>(HOT_PATH_TTL_MS);

  private unsubscribe?: () => void;

  constructor(private readonly notifications: DatabaseNotifications) {}

  async onModuleInit(): Promise<void> {
    this.unsubscribe = await this.notifications.subscribe(TENANCY_CHANNEL, {
      message: (payload) => this.forget(parseChange(payload)),
      // Changes made while the listener was away went unheard: everything cached is read again.
      resync: () => this.forget(undefined),
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /**
   * Flushes `em` in a transaction that also announces the change to every instance (the NOTIFY
   * goes out at commit, never for a change that rolled back), then forgets it here at once
   * without waiting for this instance's own notification. `before` runs first in the transaction.
   */
  async commit(em: EntityManager, change: TenancyChange, before?: () => Promise<unknown>): Promise<void> {
    await em.begin();
    try {
      await before?.();
      await em.flush();
      await this.notifications.notify(em, TENANCY_CHANNEL, JSON.stringify(change));
      await em.commit();
    } catch (error) {
      await em.rollback();
      throw error;
    }
    this.forget(change);
  }

  /**
   * Announces a change made in the caller's transaction (`em` must be inside it: the NOTIFY goes
   * out at its commit) and forgets it here at once. Forgotten before that commit, an entry can be
   * read again from the old rows meanwhile; on PostgreSQL this instance's own listener hears the
   * notification at commit and forgets it once more, on PGlite (one process, no listener) such an
   * entry lives out its TTL.
   */
  async announce(em: EntityManager, change: TenancyChange): Promise<void> {
    await this.notifications.notify(em, TENANCY_CHANNEL, JSON.stringify(change));
    this.forget(change);
  }

  /** Drops what a change makes stale in this instance's caches; everything when the change is unknown. */
  forget(change: TenancyChange | undefined): void {
    if (!change || 'application' in change) this.browserOrigins.clear();
    if (change && 'application' in change) {
      this.applications.delete(change.application);
      this.webhookSecrets.delete(change.application);
    }
    else if (change && 'api_key' in change) this.apiKeys.delete(change.api_key);
    else if (change && 'merchant' in change) this.applications.clear(); // cached per application, with its merchant
    else {
      this.applications.clear();
      this.webhookSecrets.clear();
      this.apiKeys.clear();
    }
  }
}

/** A tenancy change as announced; undefined (forget everything) when it cannot be read. */
function parseChange(payload: string): TenancyChange | undefined {
  try {
    const change = JSON.parse(payload) as Record<string, unknown>;
    for (const key of ['application', 'merchant', 'api_key'] as const) {
      if (typeof change[key] === 'string') return { [key]: change[key] } as TenancyChange;
    }
  } catch {
    // fall through
  }
  return undefined;
}
