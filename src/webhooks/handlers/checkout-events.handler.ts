import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { accountFromMetadata, IdentityService } from '../../identity/identity.service.js';

import { SubscriptionSyncService } from '../../subscriptions/subscription-sync.service.js';
import type { EventContext, EventHandler } from './event-handler.js';
import { idOf } from '../../infra/stripe/accounts.js';

/**
 * checkout.session.completed: links the customer to the account the session was made for
 * (`client_reference_id`, or `account_id` in its metadata), then mirrors the subscription it
 * created, fetched from Stripe because the session carries only its id.
 */
@Injectable()
export class CheckoutEventsHandler implements EventHandler {
  readonly types = ['checkout.session.completed', 'checkout.session.async_payment_succeeded'] as const;

  constructor(
    private readonly identities: IdentityService,
    private readonly sync: SubscriptionSyncService,
  ) {}

  async handle({ event, em, scope }: EventContext): Promise<void> {
    const session = event.data.object as Stripe.Checkout.Session;
    if (session.mode !== 'subscription') return;
    const customerId = idOf(session.customer);
    const accountId = session.client_reference_id || accountFromMetadata(session.metadata);
    if (customerId && accountId) {
      await this.identities.link(em, accountId, {
        stripeAccount: scope.stripeAccount,
        customerId,
        email: session.customer_details?.email ?? null,
        name: session.customer_details?.name ?? null,
      });
    }
    const subscriptionId = idOf(session.subscription);
    if (subscriptionId) {
      const applicationId = session.metadata?.application_id || scope.applicationId;
      await this.sync.syncSubscriptionById(em, subscriptionId, { ...scope, applicationId }, event.created);
    }
  }
}
