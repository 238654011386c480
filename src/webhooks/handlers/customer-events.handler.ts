import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { accountFromMetadata, IdentityService } from '../../identity/identity.service.js';
import { SubscriptionMirrorRepository } from '../../subscriptions/subscription-mirror.repository.js';
import type { EventContext, EventHandler } from './event-handler.js';

/**
 * customer.*: keeps identities current. A customer whose metadata names an account (ours:
 * `account_id`; the freee app store's: `f_company_id`) is linked to it when it has no link yet,
 * with the subscriptions of that customer mirrored before the link.
 */
@Injectable()
export class CustomerEventsHandler implements EventHandler {
  readonly types = ['customer.created', 'customer.updated', 'customer.deleted'] as const;

  constructor(
    private readonly identities: IdentityService,
    private readonly mirror: SubscriptionMirrorRepository,
  ) {}

  async handle({ event, em, scope }: EventContext): Promise<void> {
    const customer = event.data.object as Stripe.Customer;
    const facts = { stripeAccount: scope.stripeAccount, customerId: customer.id, email: customer.email ?? null, name: customer.name ?? null };
    if (event.type === 'customer.deleted') {
      await this.identities.markDeleted(em, scope.stripeAccount, [customer.id], new Date(event.created * 1000));
      return;
    }
    const linked = await this.identities.accountOf(em, scope.stripeAccount, customer.id);
    if (linked) return this.identities.updateCustomer(em, facts);
    const named = accountFromMetadata(customer.metadata);
    if (!named) return;
    const account = await this.identities.link(em, named, facts);
    // Subscriptions of this customer applied before its customer event (Stripe does not order
    // events) found no account then: they are the account's too.
    await this.mirror.assignAccount(em, scope.stripeAccount, customer.id, account);
  }
}
