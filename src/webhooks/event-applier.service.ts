import { Inject, Injectable } from '@nestjs/common';
import { DeadlockException, type EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';

import { ownerLockKey, tryLockOwnersEach, type LockOwner } from '../infra/stripe/object-locks.js';
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
   * Takes the locks of the objects a batch's events write (each one's customer, or its product for
   * catalog events) that no other transaction holds, in one statement; returns the events that may
   * be applied now: their lock is held, or they need none. The others wait for a later batch:
   * another batch or request is writing their object (see src/infra/stripe/object-locks.ts).
   */
  async tryLock(em: EntityManager, events: readonly ClaimedEvent[]): Promise<ClaimedEvent[]> {
    const owned = events.map((stored) => ({ stored, owner: this.byType.has(stored.type) ? lockOwnerOf(stored) : null }));
    const wanted = owned.filter((o) => o.owner !== null).map((o) => ({ stripeAccount: o.stored.stripe_account, owner: o.owner! }));
    const held = await tryLockOwnersEach(em, wanted);
    return owned.filter((o) => o.owner === null || held.has(ownerLockKey(o.stored.stripe_account, o.owner))).map((o) => o.stored);
  }

  /** Applies one event, whose owner's lock (`tryLock`) the caller holds. */
  async apply(em: EntityManager, stored: ClaimedEvent, scopes = new ScopeCache()): Promise<void> {
    const handler = this.byType.get(stored.type);
    if (!handler) return;
    const problem = shapeProblem((stored.payload as { data?: { object?: unknown } }).data?.object);
    if (problem) throw new NeedsAttention('unappliable', `The event's data.object is not a Stripe object this service can apply: ${problem}.`);
    const event = stored.payload as unknown as Stripe.Event;
    const scope = await scopes.get(stored, () => this.scopeOf(em, stored));
    await handler.handle({ event, em, scope, customerLocked: lockOwnerOf(stored) !== null });
  }

  /**
   * Applies at once, in one savepoint, the events of a locked batch that handlers can apply in
   * bulk (subscription and invoice events: a few set-based statements for all of them instead of a
   * savepoint and a chain of statements each), and returns which were applied and which are left
   * to `apply` one by one, in their order. Events of a customer that has any other kind of event in
   * the batch are all left, so that one customer's events keep their order. When the bulk write
   * fails, it is rolled back and every event is left: applied one by one, a failing event then fails
   * alone. A deadlock is thrown (the worker commits what is done and claims the rest again).
   */
  async applyBatch(em: EntityManager, events: readonly ClaimedEvent[], scopes: ScopeCache): Promise<{ applied: ClaimedEvent[]; left: ClaimedEvent[] }> {
    const batchable = (stored: ClaimedEvent) => {
      const handler = this.byType.get(stored.type);
      return handler?.handleBatch !== undefined && lockOwnerOf(stored) !== null && shapeProblem((stored.payload as { data?: { object?: unknown } }).data?.object) === null;
    };
    const ownerKey = (stored: ClaimedEvent) => { const owner = lockOwnerOf(stored); return owner ? ownerLockKey(stored.stripe_account, owner) : `event:${stored.id}`; };
    const mixed = new Set(events.filter((e) => !batchable(e)).map(ownerKey));
    const candidates: { stored: ClaimedEvent; scope: SyncScope }[] = [];
    for (const stored of events) {
      if (!batchable(stored) || mixed.has(ownerKey(stored))) continue;
      const scope = await scopes.get(stored, () => this.scopeOf(em, stored)).catch((error: unknown) => {
        if (error instanceof NeedsAttention) return null;
        throw error;
      });
      if (scope) candidates.push({ stored, scope });
    }
    if (candidates.length === 0) return { applied: [], left: [...events] };
    const handlers = [...new Set(candidates.map((c) => this.byType.get(c.stored.type)!))].sort((a, b) => (a.batchPhase ?? 0) - (b.batchPhase ?? 0));
    let applied: Set<string>;
    try {
      applied = await em.transactional(async (savepoint) => {
        const done = new Set(candidates.map((c) => c.stored.id));
        for (const handler of handlers) {
          const mine = candidates.filter((c) => this.byType.get(c.stored.type) === handler);
          const contexts = mine.map(({ stored, scope }) => ({ event: stored.payload as unknown as Stripe.Event, em: savepoint, scope, customerLocked: true }));
          for (const id of await handler.handleBatch!(savepoint, contexts)) done.delete(id);
        }
        return done;
      });
    } catch (error) {
      if (error instanceof DeadlockException) throw error;
      applied = new Set();
    }
    return { applied: events.filter((e) => applied.has(e.id)), left: events.filter((e) => !applied.has(e.id)) };
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

/**
 * The scopes of one batch's events, each (Stripe account, application) read once per batch, in the
 * batch's transaction: a batch of a thousand events of one application makes one read, not a thousand.
 */
export class ScopeCache {
  private readonly scopes = new Map<string, Promise<SyncScope>>();

  get(stored: ClaimedEvent, read: () => Promise<SyncScope>): Promise<SyncScope> {
    const key = `${stored.stripe_account}\u0000${stored.application_id}`;
    let scope = this.scopes.get(key);
    if (!scope) {
      scope = read();
      this.scopes.set(key, scope);
      // A failed read (an unknown account) is not kept: the one-by-one path reads it again and records it.
      scope.catch(() => this.scopes.delete(key));
    }
    return scope;
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
  if (o.deleted !== true && (o.object === 'product' || o.object === 'price')) {
    const problem = scalarsProblem(o, CATALOG_SCALARS[o.object], '') ?? (o.object === 'price' && o.recurring ? scalarsProblem(o.recurring, RECURRING_SCALARS, 'recurring.') : null);
    if (problem) return problem;
  }
  return null;
}

type ScalarKind = 'text' | 'boolean' | 'integer' | 'object';
/**
 * The fields of catalog objects the catalog mirror writes as columns, and what each must be when
 * present (null and absence are left to the columns' own rules). Without this, an array where a
 * string belongs (`name: []`) reached the statement and died of `syntax error at or near ","` (the
 * driver spreads an array parameter into a list), which names nothing (found by the fuzz suite).
 */
const CATALOG_SCALARS: Record<'product' | 'price', Record<string, ScalarKind>> = {
  product: { name: 'text', description: 'text', active: 'boolean' },
  price: { currency: 'text', active: 'boolean', unit_amount: 'integer', lookup_key: 'text', nickname: 'text', tax_behavior: 'text', recurring: 'object' },
};
const RECURRING_SCALARS: Record<string, ScalarKind> = { interval: 'text', interval_count: 'integer', usage_type: 'text' };

function scalarsProblem(object: unknown, fields: Record<string, ScalarKind>, prefix: string): string | null {
  const o = object as Record<string, unknown>;
  for (const [field, kind] of Object.entries(fields)) {
    const value = o[field];
    if (value === null || value === undefined) continue;
    const fits =
      kind === 'text' ? typeof value === 'string' : kind === 'boolean' ? typeof value === 'boolean' : kind === 'integer' ? Number.isSafeInteger(value) : typeof value === 'object' && !Array.isArray(value);
    if (!fits) return `${prefix}${field} is not ${kind === 'integer' ? 'an integer' : kind === 'object' ? 'an object' : `a ${kind === 'text' ? 'string' : kind}`}`;
  }
  return null;
}
