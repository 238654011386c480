import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';

import { tryLockOwner, type LockOwner } from '../infra/stripe/object-locks.js';
import type { SyncScope } from '../subscriptions/subscription-sync.service.js';
import { ApplicationsService } from '../tenancy/applications.service.js';
import { MerchantsService } from '../tenancy/merchants.service.js';
import { EVENT_HANDLERS, type EventHandler } from './handlers/event-handler.js';
import type { ClaimedEvent } from './inbox.repository.js';
import { PLATFORM_ACCOUNT } from '../infra/stripe/accounts.js';

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

  constructor(
    @Inject(EVENT_HANDLERS) handlers: EventHandler[],
    private readonly applications: ApplicationsService,
    private readonly merchants: MerchantsService,
  ) {
    for (const handler of handlers) for (const type of handler.types) this.byType.set(type, handler);
  }

  handles(type: string): boolean {
    return this.byType.has(type);
  }

  /**
   * Takes the lock of the object the event writes (its customer, or its product for catalog
   * events) if no other transaction holds it; false means another batch or request is writing that
   * object now and the event should wait for a later batch (see src/infra/stripe/object-locks.ts).
   */
  async tryLock(em: EntityManager, stored: ClaimedEvent): Promise<boolean> {
    if (!this.byType.has(stored.type)) return true;
    const owner = lockOwnerOf(stored);
    return owner ? tryLockOwner(em, stored.stripe_account, owner) : true;
  }

  async apply(em: EntityManager, stored: ClaimedEvent): Promise<void> {
    const handler = this.byType.get(stored.type);
    if (!handler) return;
    const problem = shapeProblem((stored.payload as { data?: { object?: unknown } }).data?.object);
    if (problem) throw new NeedsAttention('unappliable', `The event's data.object is not a Stripe object this service can apply: ${problem}.`);
    const event = stored.payload as unknown as Stripe.Event;
    const scope = await this.scopeOf(em, stored);
    await handler.handle({ event, em, scope });
  }

  /** Read in the worker's transaction (`em`), not from a cache or another connection: on PGlite that connection is the one the transaction holds. */
  private async scopeOf(em: EntityManager, stored: ClaimedEvent): Promise<SyncScope> {
    if (stored.stripe_account !== PLATFORM_ACCOUNT) {
      const merchantId = await this.merchants.merchantIdOfStripeAccount(em, stored.stripe_account);
      if (!merchantId) throw new NeedsAttention('unknown_account', `No merchant has the connected account ${stored.stripe_account}; create it, then replay the event.`);
      return { stripeAccount: stored.stripe_account, merchantId, applicationId: stored.application_id };
    }
    return { stripeAccount: PLATFORM_ACCOUNT, merchantId: await this.applications.merchantIdOf(em, stored.application_id), applicationId: stored.application_id };
  }
}

/** The customer (or, for the catalog, the product) whose objects an event writes. */
function lockOwnerOf(stored: ClaimedEvent): LockOwner | null {
  const object = (stored.payload as { data?: { object?: Record<string, unknown> } }).data?.object;
  if (!object) return null;
  const text = (v: unknown) => (typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : null);
  if (object.object === 'customer') return text(object.id) ? { customer: text(object.id)! } : null;
  if (object.object === 'product') return text(object.id) ? { product: text(object.id)! } : null;
  if (object.object === 'price') return text(object.product) ? { product: text(object.product)! } : null;
  return text(object.customer) ? { customer: text(object.customer)! } : null;
}

const isId = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 255;
const isRef = (v: unknown) => v === null || v === undefined || isId(v) || (typeof v === 'object' && isId((v as { id?: unknown }).id));

/**
 * What a correctly signed event must hold for its handler to read it: ids as strings, references
 * as ids or expanded objects, a subscription's items as a list. Stripe's own events always do; a
 * signed event that does not is stored, and marked dead at once with this reason (replayable).
 */
function shapeProblem(object: unknown): string | null {
  if (!object || typeof object !== 'object' || Array.isArray(object)) return 'not an object';
  const o = object as Record<string, unknown>;
  // A few objects have no id of their own (an active entitlement summary, an upcoming invoice): their customer says whose they are.
  if (o.id !== undefined || !isId(o.customer)) {
    if (!isId(o.id)) return 'id is not a string of 1 to 255 characters';
  }
  for (const ref of ['customer', 'subscription', 'product', 'latest_invoice']) if (!isRef(o[ref])) return `${ref} is neither an id nor an object with one`;
  if (o.object === 'subscription') {
    const items = (o.items as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(items)) return 'items.data is not a list';
    if (!items.every((i) => i && typeof i === 'object' && isId((i as { id?: unknown }).id) && isRef((i as { price?: unknown }).price))) return 'an item has no id or price';
  }
  return null;
}
