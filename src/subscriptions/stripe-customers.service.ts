import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { IdentityService } from '../identity/identity.service.js';
import { StripeGateway } from '../infra/stripe/stripe.gateway.js';

import { stripeAccountOf } from '../infra/stripe/accounts.js';
import { type AccountContext } from '../auth/account-context.js';
export interface CustomerDetails {
  email?: string;
  name?: string;
  locale?: string;
}

/**
 * The account's Stripe customer at the application's merchant, created on first use (checkout or
 * trial) with the account id in its metadata, so that webhooks and the reconciler can always tell
 * whose it is.
 */
@Injectable()
export class StripeCustomersService {
  constructor(
    private readonly identities: IdentityService,
    private readonly gateway: StripeGateway,
  ) {}

  async ensureCustomer(em: EntityManager, ctx: AccountContext, details: CustomerDetails = {}): Promise<string> {
    const stripeAccount = stripeAccountOf(ctx.merchant);
    const existing = await this.identities.customerOf(em, ctx.accountId, stripeAccount);
    if (existing && !existing.deleted) return existing.customerId;
    // One key per account and generation of customer: two racing first purchases create one customer.
    const idempotencyKey = this.gateway.idempotencyKey('customers.create', ctx.accountId, stripeAccount, existing?.customerId ?? 'first');
    const customer = await this.gateway.call('customers.create', (s) =>
      s.customers.create(
        {
          ...(details.email ? { email: details.email } : {}),
          ...(details.name ? { name: details.name } : {}),
          ...(details.locale ? { preferred_locales: [details.locale] } : {}),
          metadata: { account_id: ctx.accountId, application_id: ctx.application.id },
        },
        this.gateway.options(ctx.merchant, idempotencyKey),
      ),
    );
    await this.identities.link(em, ctx.accountId, { stripeAccount, customerId: customer.id, email: customer.email ?? null, name: customer.name ?? null });
    return customer.id;
  }
}
