import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { Clock } from '../infra/clock/clock.js';
import { Metrics } from '../infra/metrics/metrics.service.js';
import type { AccountContext } from '../auth/account-context.js';
import { stripeAccountOf } from '../infra/stripe/accounts.js';
import { SharedFeatureReads, type GrantRow } from './features.read-model.js';
import { ReadYourWrites } from '../infra/database/read-your-writes.js';

export interface FeatureGrant {
  lookup_key: string;
  name: string;
  subscription_id: string | null;
  trial: boolean;
  access_until: string | null;
}

/**
 * "Which features may this account use?", answered from the mirror alone in one query (no Stripe
 * call on this path; the query is the read model in features.read-model.ts). A feature is granted by:
 * 1. a subscription of the account to the application whose `access_until` is still ahead (the
 *    access policy), through its products' features;
 * 2. Stripe's active entitlements of the account's customer (merchants that use Stripe
 *    Entitlements), but only while one of the account's subscriptions still grants access, so that
 *    a feature ends when its period does even when no event arrives, and only when the summary is
 *    not older than the newest subscription state applied, so that a downgrade takes the features
 *    away with customer.subscription.updated alone (the summary before it still lists them);
 * 3. a platform trial that has not ended, through its product's features.
 */
@Injectable()
export class FeaturesService {
  private readonly grants: SharedFeatureReads;

  constructor(
    em: EntityManager,
    private readonly clock: Clock,
    private readonly readYourWrites: ReadYourWrites,
    private readonly metrics: Metrics,
  ) {
    this.grants = new SharedFeatureReads(em);
  }

  /** The features of the account a request is for, at its application's merchant (from a replica when there is one). */
  ofAccount(ctx: AccountContext): Promise<FeatureGrant[]> {
    return this.metrics.features(async () => {
      const target = this.readYourWrites.targetFor(ctx.accountId);
      return mergeByFeature(await this.grants.read(ctx.accountId, ctx.application.id, stripeAccountOf(ctx.merchant), this.clock.now(), target));
    });
  }
}

/** One entry per feature: from a subscription before an entitlement before a trial, and the latest access among equals. */
function mergeByFeature(rows: GrantRow[]): FeatureGrant[] {
  const best = new Map<string, GrantRow>();
  for (const row of rows) {
    const current = best.get(row.lookup_key);
    const later = (a: GrantRow, b: GrantRow) => new Date(a.access_until ?? 0).getTime() > new Date(b.access_until ?? 0).getTime();
    if (!current || row.source < current.source || (row.source === current.source && later(row, current))) best.set(row.lookup_key, row);
  }
  // By lookup key in code-point order: the same on every machine, where localeCompare depends on
  // the ICU locale (and was the costliest line of a features answer in a profile, issue 17).
  return [...best.values()]
    .sort((a, b) => (a.lookup_key < b.lookup_key ? -1 : a.lookup_key > b.lookup_key ? 1 : 0))
    .map((r) => ({
      lookup_key: r.lookup_key,
      name: r.name,
      subscription_id: r.subscription_id,
      trial: r.trial,
      access_until: r.access_until === null ? null : new Date(r.access_until).toISOString(),
    }));
}
