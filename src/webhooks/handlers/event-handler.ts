import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import type { SyncScope } from '../../subscriptions/subscription-sync.service.js';

/** What a handler gets: the event, the transaction to write in, and where the event belongs. */
export interface EventContext {
  event: Stripe.Event;
  em: EntityManager;
  scope: SyncScope;
}

/** Applies the events of some types to the mirror, inside the worker's transaction. */
export interface EventHandler {
  readonly types: readonly string[];
  handle(ctx: EventContext): Promise<void>;
}

export const EVENT_HANDLERS = Symbol('EVENT_HANDLERS');
