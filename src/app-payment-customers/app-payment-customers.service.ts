import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { execPrepared, PreparedStatement } from '../infra/database/prepared.js';
import { Clock } from '../infra/clock/clock.js';
import { isContracted } from '../subscriptions/access-policy.js';

import { ApplicationsService } from '../tenancy/applications.service.js';
import type { SubscriptionStatus } from '../subscriptions/subscription.entity.js';
import type { MerchantStatus } from '../tenancy/merchant.entity.js';
import type { AppPaymentCustomerView, ContractItemView } from './app-payment-customers.dto.js';
import { stripeAccountOf } from '../infra/stripe/accounts.js';
import { ENDED_STATUSES, ENDED_STATUSES_SQL } from '../subscriptions/access-policy.js';

/**
 * The whole lookup in one prepared statement (parameters: the company ids, then the Stripe account
 * of the application's merchant, then the application id three times), answering in the order of
 * the ids. The merchant's status is read here rather than from the cached merchant: the
 * deauthorization webhook changes it in the database, and the answer must follow at once; as an
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
const LOOKUP_MANY = lookupStatement('app_payment_customers_lookup_many', 'select * from unnest(?::text[]) with ordinality');

export interface LookupRow {
  company_id: string;
  stripe_customer_id: string | null;
  subscriptions: { id: string; status: SubscriptionStatus; customer_id: string; items: ContractItemView[] | null }[] | null;
  trial: { price_id: string; quantity: number; ends_at: string; ended_at: string | null } | null;
  merchant_status: MerchantStatus | null;
}


/**
 * The freee-style contract lookup (AppPaymentCustomers) for partner applications: for each company
 * id, its Stripe customer, the price and quantity of its current subscription, all its
 * subscription ids, or its platform trial. One query for the whole batch, whatever the companies
 * hold, answered from the mirror only.
 */
@Injectable()
export class AppPaymentCustomersService {
  constructor(
    private readonly em: EntityManager,
    private readonly applications: ApplicationsService,
    private readonly clock: Clock,
  ) {}

  async lookup(applicationId: string, companyIds: string[]): Promise<AppPaymentCustomerView[]> {
    const unique = [...new Set(companyIds)];
    const { merchant } = await this.applications.getApplicationWithMerchant(applicationId);
    const ids = unique.length === 1 ? { statement: LOOKUP_ONE, param: unique[0] } : { statement: LOOKUP_MANY, param: unique };
    const rows = await execPrepared<LookupRow>(this.em, ids.statement, [ids.param, stripeAccountOf(merchant), applicationId, applicationId, applicationId]);
    const now = this.clock.now().getTime();
    return rows.map((row) => this.describe(row, now)).filter((v): v is AppPaymentCustomerView => v !== undefined);
  }

  private describe(row: LookupRow, now: number): AppPaymentCustomerView | undefined {
    const contract = this.contract(row, now);
    if (!contract) return undefined;
    // A merchant that left the platform (account.application.deauthorized) has no contracts any more,
    // whatever its subscriptions' last status in Stripe (which `status` still shows).
    const merchantStatus = row.merchant_status ?? 'active';
    return { ...contract, contracted: contract.contracted && merchantStatus === 'active', merchant_status: merchantStatus };
  }

  private contract(row: LookupRow, now: number): Omit<AppPaymentCustomerView, 'merchant_status'> | undefined {
    const subscriptions = parseJson(row.subscriptions) ?? [];
    const trial = parseJson(row.trial);
    const trialActive = trial !== null && trial.ended_at === null && new Date(trial.ends_at).getTime() > now;
    if (!row.stripe_customer_id && subscriptions.length === 0 && !trial) return undefined;
    const current = subscriptions[0];
    const live = current && !ENDED_STATUSES.has(current.status) ? current : undefined;
    const base = {
      company_id: row.company_id,
      stripe_customer_id: row.stripe_customer_id ?? current?.customer_id ?? null,
      stripe_subscription_ids: subscriptions.map((s) => s.id),
      trial_quantity: null as number | null,
      trial_end: null as string | null,
    };
    if (!live && trialActive) {
      // As in the freee app store: during the trial there is no subscription id; trial_quantity counts the seats.
      return { ...base, stripe_price_id: trial.price_id, quantity: null, trial_quantity: trial.quantity, trial_end: new Date(trial.ends_at).toISOString(), status: 'trialing', contracted: false, items: [] };
    }
    if (!current) return { ...base, stripe_price_id: null, quantity: null, status: null, contracted: false, items: [] };
    const items = current.items ?? [];
    const licensed = items.find((i) => i.usage_type === 'licensed');
    return {
      ...base,
      stripe_price_id: licensed?.price_id ?? items[0]?.price_id ?? null,
      quantity: licensed ? (licensed.quantity ?? 1) : null,
      status: current.status,
      contracted: isContracted(current.status),
      items,
    };
  }
}

/** PGlite returns json columns as text, PostgreSQL as objects. */
function parseJson<T>(value: T | string | null): T | null {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
