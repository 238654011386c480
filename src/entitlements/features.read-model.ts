import type { EntityManager } from '@mikro-orm/core';
import { execPrepared, PreparedStatement } from '../infra/database/prepared.js';
import type { ReadTarget } from '../infra/database/read-replicas.js';

/**
 * Read model of `features`: the one place outside their owners' repositories that reads other
 * modules' tables (subscriptions and subscription_items of the subscriptions module, identities,
 * trials) next to this module's catalog. `features` is a hot path answered from PostgreSQL alone:
 * one prepared statement with one plan per connection, instead of a round trip per module. It
 * only reads; every table it reads keeps its one writer (see the README's table of owners), and
 * the rule it applies (access_until, set by the subscriptions module) stays with that module.
 */

/** One way a feature is granted; `source` ranks them: 1 a subscription, 2 an entitlement, 3 a trial. */
export interface GrantRow {
  lookup_key: string;
  name: string;
  subscription_id: string | null;
  trial: boolean;
  access_until: Date | string | null;
  source: number;
}

/** Exported for the benchmark's bare floor (bench/serve-bare.ts), which runs this very statement. */
export const FEATURES_STATEMENT = new PreparedStatement(
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

/** Every grant of the account's features at `now`, from subscriptions, entitlements and trials (a feature may come several times). */
export function readFeatureGrants(em: EntityManager, accountId: string, applicationId: string, stripeAccount: string, now: Date, target: ReadTarget): Promise<GrantRow[]> {
  return execPrepared<GrantRow>(em, FEATURES_STATEMENT, [accountId, applicationId, now, accountId, stripeAccount, accountId, applicationId, now], target);
}
