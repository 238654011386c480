import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { exec } from '../infra/database/sql.js';
import { Clock } from '../infra/clock/clock.js';
import { isContracted } from '../subscriptions/access-policy.js';
import { stripeAccountOf } from '../subscriptions/account-context.js';
import { TenancyService } from '../tenancy/tenancy.service.js';
import type { SubscriptionStatus } from '../subscriptions/subscription.entity.js';
import type { AppPaymentCustomerView, ContractItemView } from './app-payment-customers.dto.js';

/**
 * The whole lookup of `count` company ids in one statement (parameters: the ids, then the Stripe
 * account of the application's merchant, then the application id twice). Exported so that the
 * benchmark's bare server runs exactly this query.
 */
export function lookupSql(count: number): string {
  return `with ids(company_id) as (values ${Array.from({ length: count }, () => '(?)').join(', ')})
       select ids.company_id,
         (select i.stripe_customer_id from identities i
            where i.account_id = ids.company_id and i.stripe_account = ? and i.deleted_at is null) as stripe_customer_id,
         (select json_agg(json_build_object('id', s.id, 'status', s.status, 'customer_id', s.customer_id, 'items',
                   (select json_agg(json_build_object('price_id', si.price_id, 'quantity', si.quantity, 'usage_type', si.usage_type) order by si.usage_type, si.id)
                      from subscription_items si where si.subscription_id = s.id))
                 order by (s.status in ('canceled', 'incomplete_expired')), s.stripe_created desc, s.id)
            from subscriptions s where s.account_id = ids.company_id and s.application_id = ?) as subscriptions,
         (select json_build_object('price_id', t.price_id, 'quantity', t.quantity, 'ends_at', t.ends_at, 'ended_at', t.ended_at)
            from trials t where t.account_id = ids.company_id and t.application_id = ?) as trial
       from ids`;
}

export interface LookupRow {
  company_id: string;
  stripe_customer_id: string | null;
  subscriptions: { id: string; status: SubscriptionStatus; customer_id: string; items: ContractItemView[] | null }[] | null;
  trial: { price_id: string; quantity: number; ends_at: string; ended_at: string | null } | null;
}

const ENDED = new Set<string>(['canceled', 'incomplete_expired']);

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
    private readonly tenancy: TenancyService,
    private readonly clock: Clock,
  ) {}

  async lookup(applicationId: string, companyIds: string[]): Promise<AppPaymentCustomerView[]> {
    const unique = [...new Set(companyIds)];
    const { merchant } = await this.tenancy.getApplicationWithMerchant(applicationId);
    const rows = await exec<LookupRow>(this.em, lookupSql(unique.length), [...unique, stripeAccountOf(merchant), applicationId, applicationId]);
    const now = this.clock.now().getTime();
    return rows.map((row) => this.describe(row, now)).filter((v): v is AppPaymentCustomerView => v !== undefined);
  }

  private describe(row: LookupRow, now: number): AppPaymentCustomerView | undefined {
    const subscriptions = parseJson(row.subscriptions) ?? [];
    const trial = parseJson(row.trial);
    const trialActive = trial !== null && trial.ended_at === null && new Date(trial.ends_at).getTime() > now;
    if (!row.stripe_customer_id && subscriptions.length === 0 && !trial) return undefined;
    const current = subscriptions[0];
    const live = current && !ENDED.has(current.status) ? current : undefined;
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
