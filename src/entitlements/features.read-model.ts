import type { EntityManager } from '@mikro-orm/core';
import { execPrepared, PreparedStatement } from '../infra/database/prepared.js';
import { SharedStatementGroups } from '../infra/database/shared-statements.js';
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

/**
 * The grants of one account (parameters: account, application, now; account, the merchant's Stripe
 * account; account, application, now), or, as a lateral subquery, of each account of a batch.
 */
const grantsOf = (account: string, application: string, now: string, stripeAccount: string) => `with live as (
     select s.id, s.access_until, s.stripe_version from subscriptions s
     where s.account_id = ${account} and s.application_id = ${application} and s.access_until > ${now}
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
     where idt.account_id = ${account} and idt.stripe_account = ${stripeAccount} and exists (select 1 from live)
       and es.stripe_version >= (select max(live.stripe_version) from live)
   union all
   select f.lookup_key, f.name, null, true, t.ends_at, 3
     from trials t
     join product_features pf on pf.product_id = t.product_id
     join features f on f.id = pf.feature_id
     where t.account_id = ${account} and t.application_id = ${application} and t.ended_at is null and t.ends_at > ${now}`;

/** Exported for the benchmark's bare floor (bench/serve-bare.ts), which runs this very statement. */
export const FEATURES_STATEMENT = new PreparedStatement('features_of_account', grantsOf('?', '?', '?', '?'));

/**
 * The grants of several accounts of one application in one statement (parameters: the accounts and
 * their `now`s as arrays, the application, the merchant's Stripe account), each row with the
 * position (`n`, from 1) of its account. A statement of its own, planned for its batch (see
 * contracts.read-model.ts on why an array parameter is not given the single statement's plan).
 */
const FEATURES_MANY = new PreparedStatement(
  'features_of_accounts',
  `select a.n, g.* from unnest(?::text[], ?::timestamptz[]) with ordinality as a(account_id, now, n)
   cross join lateral (${grantsOf('a.account_id', '?::text', 'a.now', '?::text')}) g`,
);

/** Every grant of the account's features at `now`, from subscriptions, entitlements and trials (a feature may come several times). */
export function readFeatureGrants(em: EntityManager, accountId: string, applicationId: string, stripeAccount: string, now: Date, target: ReadTarget): Promise<GrantRow[]> {
  return execPrepared<GrantRow>(em, FEATURES_STATEMENT, [accountId, applicationId, now, accountId, stripeAccount, accountId, applicationId, now], target);
}

/** An account's features asked for at `now`. */
interface FeaturesAsked {
  accountId: string;
  now: Date;
}

/**
 * `features` requests of one application arriving together share statements (SharedStatements),
 * as the partner lookup's do (contracts.read-model.ts): while one is on its way, the accounts asked
 * for meanwhile go together in the next (FEATURES_MANY, up to 100), each at its own request's
 * time; a lone request still leaves at once with the single statement. Requests read from the
 * primary (an account that has just written, see read-your-writes.ts) and from a replica never
 * share one.
 */
export class SharedFeatureReads {
  // A failed read fails the requests together: its error is the database's, not an account's.
  private readonly reads = new SharedStatementGroups<FeaturesAsked, GrantRow[]>({ inFlight: 2, maxItems: 100, isolate: () => false });

  constructor(private readonly em: EntityManager) {}

  read(accountId: string, applicationId: string, stripeAccount: string, now: Date, target: ReadTarget): Promise<GrantRow[]> {
    return this.reads.submit(`${applicationId} ${stripeAccount} ${target}`, { accountId, now }, (batch) => this.readBatch(batch, applicationId, stripeAccount, target));
  }

  /** How many requests wait for a statement while others are on their way. */
  waiting(): number {
    return this.reads.waiting;
  }

  private async readBatch(batch: FeaturesAsked[], applicationId: string, stripeAccount: string, target: ReadTarget): Promise<GrantRow[][]> {
    if (batch.length === 1) return [await readFeatureGrants(this.em, batch[0]!.accountId, applicationId, stripeAccount, batch[0]!.now, target)];
    const rows = await execPrepared<GrantRow & { n: string }>(
      this.em,
      FEATURES_MANY,
      [batch.map((b) => b.accountId), batch.map((b) => b.now.toISOString()), applicationId, stripeAccount, applicationId],
      target,
    );
    const grants = batch.map((): GrantRow[] => []);
    for (const { n, ...row } of rows) grants[Number(n) - 1]!.push(row);
    return grants;
  }
}
