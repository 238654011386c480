import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { CatalogMirrorRepository, type ActiveEntitlementFacts } from '../../entitlements/catalog-mirror.repository.js';
import { StripeGateway } from '../../infra/stripe/stripe.gateway.js';

import type { EventContext, EventHandler } from './event-handler.js';
import { idOf } from '../../infra/stripe/accounts.js';

/**
 * entitlements.active_entitlement_summary.updated: replaces the customer's active entitlements.
 * A summary of the same second as the stored one, or one whose list is cut short (`has_more`),
 * is replaced by the full list fetched from Stripe.
 */
@Injectable()
export class EntitlementEventsHandler implements EventHandler {
  readonly types = ['entitlements.active_entitlement_summary.updated'] as const;

  constructor(
    private readonly catalog: CatalogMirrorRepository,
    private readonly gateway: StripeGateway,
  ) {}

  async handle({ event, em, scope }: EventContext): Promise<void> {
    const summary = event.data.object as Stripe.Entitlements.ActiveEntitlementSummary;
    const customerId = summary.customer;
    const stored = await this.catalog.entitlementVersion(em, scope.stripeAccount, customerId);
    if (stored !== undefined && event.created < stored) return;
    const entitlements =
      stored === event.created || summary.entitlements.has_more
        ? await this.fetchActive(customerId, scope.stripeAccount)
        : summary.entitlements.data.map(toFacts);
    await this.catalog.replaceActiveEntitlements(em, scope.stripeAccount, customerId, entitlements, event.created);
  }

  private async fetchActive(customerId: string, stripeAccount: string): Promise<ActiveEntitlementFacts[]> {
    const list = await this.gateway.call('entitlements.activeEntitlements.list', (s) =>
      s.entitlements.activeEntitlements.list({ customer: customerId, limit: 100 }, this.gateway.accountOptions(stripeAccount)).autoPagingToArray({ limit: 10_000 }),
    );
    return list.map(toFacts);
  }
}

function toFacts(e: Stripe.Entitlements.ActiveEntitlement): ActiveEntitlementFacts {
  return { id: e.id, featureId: idOf(e.feature)!, lookupKey: e.lookup_key };
}
