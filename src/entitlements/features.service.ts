import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { execPrepared, PreparedStatement } from '../infra/database/prepared.js';
import { Clock } from '../infra/clock/clock.js';
import type { AccountContext } from '../auth/account-context.js';
import { stripeAccountOf } from '../infra/stripe/accounts.js';

export interface FeatureGrant {
  lookup_key: string;
  name: string;
  subscription_id: string | null;
  trial: boolean;
  access_until: string | null;
}

interface GrantRow {
  lookup_key: string;
  name: string;
  subscription_id: string | null;
  trial: boolean;
  access_until: Date | string | null;
  source: number;
}

const FEATURES_STATEMENT = new PreparedStatement(
  'features_of_account',
  `with live as (
     select s.id, s.access_until, s.stripe_version from subscriptions s
     where s.account_id = ? and s.application_id = ? and s.access_until > ?
   )
   select f.lookup_key, f.name, live.id as subscription_id, false as trial, live.access_until, 1 as source
     from live
     join subscription_items i on i.subscription_id = live.id
     join product_features pf on pf.product_id = i.product_id
     join features f on f.id = pf.feature_id
   union all
   select ae.lookup_key, coalesce(f.name, ae.lookup_key), null, false, (select max(access_until) from live), 2
     from identities idt
     join entitlement_summaries es on es.stripe_account = idt.stripe_account and es.customer_id = idt.stripe_customer_id
     join active_entitlements ae on ae.stripe_account = idt.stripe_account and ae.customer_id = idt.stripe_customer_id
     left join features f on f.id = ae.feature_id
     where idt.account_id = ? and idt.stripe_account = ? and exists (select 1 from live)
       and es.stripe_version >= (select max(live.stripe_version) from live)
   union all
   select f.lookup_key, f.name, null, true, t.ends_at, 3
     from trials t
     join product_features pf on pf.product_id = t.product_id
     join features f on f.id = pf.feature_id
     where t.account_id = ? and t.application_id = ? and t.ended_at is null and t.ends_at > ?`,
);

/**
 * "Which features may this account use?", answered from the mirror alone in one query (no Stripe
 * call on this path). A feature is granted by:
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
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  /** The features of the account a request is for, at its application's merchant. */
  ofAccount(ctx: AccountContext): Promise<FeatureGrant[]> {
    return this.featuresOf(ctx.accountId, ctx.application.id, stripeAccountOf(ctx.merchant));
  }

  async featuresOf(accountId: string, applicationId: string, stripeAccount: string): Promise<FeatureGrant[]> {
    const now = this.clock.now();
    const rows = await execPrepared<GrantRow>(
      this.em,
      FEATURES_STATEMENT,
      [accountId, applicationId, now, accountId, stripeAccount, accountId, applicationId, now],
    );
    return mergeByFeature(rows);
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
  return [...best.values()]
    .sort((a, b) => a.lookup_key.localeCompare(b.lookup_key))
    .map((r) => ({
      lookup_key: r.lookup_key,
      name: r.name,
      subscription_id: r.subscription_id,
      trial: r.trial,
      access_until: r.access_until === null ? null : new Date(r.access_until).toISOString(),
    }));
}
