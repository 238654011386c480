import type { EntityManager } from '@mikro-orm/core';
import { lockObjects, tryLockObjectsEach } from '../database/object-locks.js';

/**
 * The lock order of the mirror, in one place. Everything mirrored of one Stripe customer (its
 * identity link, subscriptions, items, invoices, active entitlements) is written under that
 * customer's lock, and catalog objects (products, their prices and features) under their
 * product's. Webhook workers, API requests and the reconciler take these locks first in their
 * transaction, so that:
 *
 * - two events of one subscription applied by two workers at once run one after the other, and
 *   the second sees what the first wrote (a same-second pair is then re-fetched, never lost);
 * - `customer.created` and `customer.subscription.created` of a new customer cannot miss each
 *   other's writes (the subscription would be stored with no account);
 * - an API request and a worker batch writing one subscription cannot deadlock on its rows.
 *
 * Workers only try the locks (`tryLockOwnersEach`, every event of a batch in one statement) and leave an event whose object is busy for their
 * next batch, so a worker never waits while holding the locks of its batch's other events.
 */
export type LockOwner = { customer: string } | { product: string };

export const ownerLockKey = (stripeAccount: string, owner: LockOwner) =>
  'customer' in owner ? `stripe:${stripeAccount}:customer:${owner.customer}` : `stripe:${stripeAccount}:product:${owner.product}`;

/** Waits for the locks of these customers or products of one Stripe account (in a deadlock-free order). */
export function lockOwners(em: EntityManager, stripeAccount: string, owners: readonly LockOwner[]): Promise<void> {
  return lockObjects(em, owners.map((o) => ownerLockKey(stripeAccount, o)));
}

export function lockCustomers(em: EntityManager, stripeAccount: string, customerIds: readonly string[]): Promise<void> {
  return lockOwners(em, stripeAccount, customerIds.map((customer) => ({ customer })));
}


/** Takes the locks of many customers or products (of any Stripe accounts) that are free, in one statement; never waits. Returns the keys (`ownerLockKey`) now held. */
export function tryLockOwnersEach(em: EntityManager, owners: readonly { stripeAccount: string; owner: LockOwner }[]): Promise<Set<string>> {
  return tryLockObjectsEach(em, owners.map((o) => ownerLockKey(o.stripeAccount, o.owner)));
}
