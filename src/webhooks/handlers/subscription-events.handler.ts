import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { SubscriptionSyncService } from '../../subscriptions/subscription-sync.service.js';
import type { EventContext, EventHandler } from './event-handler.js';

/** customer.subscription.*: the snapshot is applied under the ordering rule. */
@Injectable()
export class SubscriptionEventsHandler implements EventHandler {
  readonly types = [
    'customer.subscription.created',
    'customer.subscription.updated',
    'customer.subscription.deleted',
    'customer.subscription.paused',
    'customer.subscription.resumed',
    'customer.subscription.trial_will_end',
    'customer.subscription.pending_update_applied',
    'customer.subscription.pending_update_expired',
  ] as const;

  constructor(private readonly sync: SubscriptionSyncService) {}

  readonly batchPhase = 0;

  async handle({ event, em, scope, customerLocked }: EventContext): Promise<void> {
    await this.sync.applySubscriptionEvent(em, event.data.object as Stripe.Subscription, scope, event.created, { customerLocked });
  }

  handleBatch(em: EntityManager, events: EventContext[]): Promise<Set<string>> {
    return this.sync.applySubscriptionEvents(em, events.map(({ event, scope }) => ({ key: event.id, snapshot: event.data.object as Stripe.Subscription, scope, created: event.created })));
  }
}
