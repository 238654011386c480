import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type Stripe from 'stripe';
import { PLATFORM_ACCOUNT } from '../identity/identity.entity.js';
import type { SyncScope } from '../subscriptions/subscription-sync.service.js';
import { EVENT_HANDLERS, type EventHandler } from './handlers/event-handler.js';
import type { ClaimedEvent } from './inbox.repository.js';

/** Raised when an event cannot be applied until a person acts (e.g. creates the merchant). */
export class NeedsAttention extends Error {
  constructor(readonly flag: string, message: string) {
    super(message);
  }
}

/**
 * Routes a stored event to the handler of its type, with the scope it belongs to: a Connect
 * event (`account` set) to the merchant of that connected account, any other to the merchant of
 * the application whose endpoint received it. Types without a handler are acknowledged as they are.
 */
@Injectable()
export class EventApplier {
  private readonly byType = new Map<string, EventHandler>();

  constructor(@Inject(EVENT_HANDLERS) handlers: EventHandler[]) {
    for (const handler of handlers) for (const type of handler.types) this.byType.set(type, handler);
  }

  handles(type: string): boolean {
    return this.byType.has(type);
  }

  async apply(em: EntityManager, stored: ClaimedEvent): Promise<void> {
    const handler = this.byType.get(stored.type);
    if (!handler) return;
    const event = stored.payload as unknown as Stripe.Event;
    const scope = await this.scopeOf(em, stored);
    await handler.handle({ event, em, scope });
  }

  private async scopeOf(em: EntityManager, stored: ClaimedEvent): Promise<SyncScope> {
    const db = em as SqlEntityManager;
    if (stored.stripe_account !== PLATFORM_ACCOUNT) {
      const merchants = await db.execute<{ id: string }[]>('select id from merchants where stripe_account_id = ?', [stored.stripe_account]);
      if (!merchants[0]) throw new NeedsAttention('unknown_account', `No merchant has the connected account ${stored.stripe_account}; create it, then replay the event.`);
      return { stripeAccount: stored.stripe_account, merchantId: merchants[0].id, applicationId: stored.application_id };
    }
    const apps = await db.execute<{ merchant_id: string }[]>('select merchant_id from applications where id = ?', [stored.application_id]);
    return { stripeAccount: PLATFORM_ACCOUNT, merchantId: apps[0]?.merchant_id ?? null, applicationId: stored.application_id };
  }
}
