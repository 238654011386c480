import type { EntityManager } from '@mikro-orm/core';
import { execPrepared, PreparedStatement } from '../infra/database/prepared.js';
import { SharedStatementGroups } from '../infra/database/shared-statements.js';
import { ENDED_STATUSES_SQL } from '../subscriptions/access-policy.js';
import type { SubscriptionStatus } from '../subscriptions/subscription.entity.js';
import type { MerchantStatus } from '../tenancy/merchant.entity.js';
import type { ContractItemView } from './app-payment-customers.dto.js';

/**
 * Read model of the partner lookup (AppPaymentCustomers): the one place outside their owners'
 * repositories that reads other modules' tables (identities, subscriptions and subscription_items,
 * trials, applications and merchants) in one statement. The lookup is the hottest path of the
 * service (its benchmark targets 2,000 requests/s at a p99 of 25 ms): one prepared statement with
 * one plan per connection, instead of a round trip per module. It only reads; every table keeps
 * its one writer (see the README's table of owners).
 */

/**
 * The whole lookup in one prepared statement (parameters: the company ids, then the Stripe account
 * of the application's merchant, then the application id three times), answering in the order of
 * the ids. The merchant's status is read here rather than from the cached merchant, so that the
 * answer follows the deauthorization webhook at once rather than when the cache hears of it; as an
 * uncorrelated subquery it is evaluated once per call (an InitPlan), not once per company.
 * `ids` is the source of the company ids: one id for the single lookup, an array for a batch. They
 * are two statements because PostgreSQL cannot tell how long an array parameter is: it estimates
 * ten rows, finds the reusable plan ten times dearer than one planned for the actual id and so
 * plans every call again, which doubles the cost of the single lookup (measured: 260 µs of
 * PostgreSQL CPU per call instead of 116 µs). A batch is worth planning for its own length.
 */
function lookupStatement(name: string, ids: string): PreparedStatement {
  return new PreparedStatement(
    name,
    `with ids(company_id, position) as (${ids})
     select ids.company_id,
       (select i.stripe_customer_id from identities i
          where i.account_id = ids.company_id and i.stripe_account = ? and i.deleted_at is null) as stripe_customer_id,
       (select json_agg(json_build_object('id', s.id, 'status', s.status, 'customer_id', s.customer_id, 'items',
                 (select json_agg(json_build_object('price_id', si.price_id, 'quantity', si.quantity, 'usage_type', si.usage_type) order by si.usage_type, si.id)
                    from subscription_items si where si.subscription_id = s.id))
               order by (s.status in ${ENDED_STATUSES_SQL}), s.stripe_created desc, s.id)
          from subscriptions s where s.account_id = ids.company_id and s.application_id = ?) as subscriptions,
       (select json_build_object('price_id', t.price_id, 'quantity', t.quantity, 'ends_at', t.ends_at, 'ended_at', t.ended_at)
          from trials t where t.account_id = ids.company_id and t.application_id = ?) as trial,
       (select m.status from applications a join merchants m on m.id = a.merchant_id where a.id = ?) as merchant_status
     from ids
     order by ids.position`,
  );
}

/** The lookup of one company id (exported so that the benchmark's bare server runs exactly this statement). */
export const LOOKUP_ONE = lookupStatement('app_payment_customers_lookup_one', 'values (?::text, 1::bigint)');
const LOOKUP_MANY = lookupStatement('app_payment_customers_lookup_many', 'select u.company_id, u.position from unnest(?::text[]) with ordinality as u(company_id, position)');

export interface LookupRow {
  company_id: string;
  stripe_customer_id: string | null;
  subscriptions: { id: string; status: SubscriptionStatus; customer_id: string; items: ContractItemView[] | null }[] | null;
  trial: { price_id: string; quantity: number; ends_at: string; ended_at: string | null } | null;
  merchant_status: MerchantStatus | null;
}

/** One row per company id (distinct ids), in their order; the single lookup and a batch use their own statement. */
export function readContracts(em: EntityManager, companyIds: string[], stripeAccount: string, applicationId: string): Promise<LookupRow[]> {
  const ids = companyIds.length === 1 ? { statement: LOOKUP_ONE, param: companyIds[0] } : { statement: LOOKUP_MANY, param: companyIds };
  // Partners only read: from a replica when there is one (it may trail the primary by its lag, as the mirror trails Stripe).
  return execPrepared<LookupRow>(em, ids.statement, [ids.param, stripeAccount, applicationId, applicationId, applicationId], 'replica');
}

/**
 * Single lookups of one application arriving together share statements (SharedStatements): while
 * one is on its way, the company ids asked for meanwhile, by any number of requests, go together in
 * the next (LOOKUP_MANY, up to 100 ids). A partner's burst is then a statement per batch instead of
 * one per request, and PostgreSQL's and the driver's cost per statement is shared (issue 17); a
 * lone request still leaves at once, with the single lookup's statement. Two on their way at once:
 * one is answered while the next one is read. A request for many companies has its own statement,
 * planned for its length.
 */
export class SharedContractReads {
  // A failed read fails the requests together: its error is the database's, not a company's.
  private readonly lookups = new SharedStatementGroups<string, LookupRow>({ inFlight: 2, maxItems: 100, isolate: () => false });

  constructor(private readonly em: EntityManager) {}

  /** One row per company id (distinct ids), in their order (as `readContracts`). */
  read(companyIds: string[], stripeAccount: string, applicationId: string): Promise<LookupRow[]> {
    if (companyIds.length !== 1) return readContracts(this.em, companyIds, stripeAccount, applicationId);
    return this.lookups.submit(`${applicationId} ${stripeAccount}`, companyIds[0]!, (ids) => this.readBatch(ids, stripeAccount, applicationId)).then((row) => [row]);
  }

  /** How many single lookups wait for a statement while others are on their way. */
  waiting(): number {
    return this.lookups.waiting;
  }

  /** The rows of a batch's ids, one per item (two requests may ask for the same company). */
  private async readBatch(ids: string[], stripeAccount: string, applicationId: string): Promise<LookupRow[]> {
    const rows = await readContracts(this.em, [...new Set(ids)], stripeAccount, applicationId);
    const byId = new Map(rows.map((row) => [row.company_id, row]));
    return ids.map((id) => byId.get(id)!);
  }
}
