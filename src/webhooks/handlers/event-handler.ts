import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import type { SyncScope } from '../../subscriptions/subscription-sync.service.js';

/** What a handler gets: the event, the transaction to write in, and where the event belongs. */
export interface EventContext {
  event: Stripe.Event;
  em: EntityManager;
  scope: SyncScope;
  /** The worker holds the lock of the event's customer already (it try-locks every event's owner first): not to be taken again. */
  customerLocked?: boolean;
}

/** Applies the events of some types to the mirror, inside the worker's transaction. */
export interface EventHandler {
  readonly types: readonly string[];
  handle(ctx: EventContext): Promise<void>;
  /**
   * Applies many events of this handler's types at once, in a few set-based statements, with the
   * same outcome as `handle` one by one in their order; returns the ids of the events it left for
   * `handle` (the worker applies those one by one after). Batch handlers run in ascending
   * `batchPhase` (subscriptions before the invoices that refer to them).
   */
  handleBatch?(em: EntityManager, events: EventContext[]): Promise<Set<string>>;
  readonly batchPhase?: number;
}

export const EVENT_HANDLERS = Symbol('EVENT_HANDLERS');
