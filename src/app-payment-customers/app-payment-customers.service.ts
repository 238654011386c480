import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { Clock } from '../infra/clock/clock.js';
import { Metrics } from '../infra/metrics/metrics.service.js';
import { stripeAccountOf } from '../infra/stripe/accounts.js';
import { ENDED_STATUSES, isContracted } from '../subscriptions/access-policy.js';
import { ApplicationsService } from '../tenancy/applications.service.js';
import type { AppPaymentCustomerView } from './app-payment-customers.dto.js';
import { SharedContractReads, type LookupRow } from './contracts.read-model.js';

/**
 * The freee-style contract lookup (AppPaymentCustomers) for partner applications: for each company
 * id, its Stripe customer, the price and quantity of its current subscription, all its
 * subscription ids, or its platform trial. One query for the whole batch, whatever the companies
 * hold, answered from the mirror only (the read model in contracts.read-model.ts).
 */
@Injectable()
export class AppPaymentCustomersService {
  private readonly contracts: SharedContractReads;

  constructor(
    em: EntityManager,
    private readonly applications: ApplicationsService,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {
    this.contracts = new SharedContractReads(em);
  }

  lookup(applicationId: string, companyIds: string[]): Promise<AppPaymentCustomerView[]> {
    const unique = [...new Set(companyIds)];
    return this.metrics.partnerLookup(unique.length, async () => {
      const { merchant } = await this.applications.getApplicationWithMerchant(applicationId);
      const rows = await this.contracts.read(unique, stripeAccountOf(merchant), applicationId);
      const now = this.clock.now().getTime();
      return rows.map((row) => this.describe(row, now)).filter((v): v is AppPaymentCustomerView => v !== undefined);
    });
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
