import type Stripe from 'stripe';
import { idOf, PLATFORM_ACCOUNT, type ChargeModel } from '../infra/stripe/accounts.js';

/**
 * Which merchant and application a listed subscription belongs to. Pure: the reconciler reads the
 * facts (`Owners`) once per Stripe account and decides for every subscription of the listing here.
 */

/** What ownership is decided from. */
export interface Owners {
  /** Every application's merchant, by application id. */
  apps: ReadonlyMap<string, string>;
  /** Destination merchants by their connected account (a platform subscription paying out to it is theirs). */
  destinations: ReadonlyMap<string, string>;
}

/** What a subscription's ownership is read from. */
export type OwnedSubscription = Pick<Stripe.Subscription, 'metadata' | 'transfer_data'>;

export interface Owner {
  merchantId: string | null;
  applicationId: string | null;
}

/**
 * The owner of a subscription on `stripeAccount`: the application named in its metadata (when there
 * is one by that id) and that application's merchant; else the destination merchant its money goes
 * to; else, on a connected account, `fallback` (the merchant whose account it is). A platform
 * subscription of none of these has no merchant.
 */
export function ownerOf(s: OwnedSubscription, owners: Owners, stripeAccount: string, fallback: { id: string }): Owner {
  const named = s.metadata?.application_id;
  const applicationId = named && owners.apps.has(named) ? named : null;
  const destination = s.transfer_data?.destination ? owners.destinations.get(idOf(s.transfer_data.destination)!) : undefined;
  const merchantId = (applicationId ? owners.apps.get(applicationId) : undefined) ?? destination ?? (stripeAccount === PLATFORM_ACCOUNT ? null : fallback.id);
  return { merchantId: merchantId ?? null, applicationId };
}

/**
 * Whether a listed subscription is within a run's merchants. A run of several merchants, or of a
 * direct merchant (its account holds only its own), takes everything listed; a run of one platform
 * or destination merchant lists the shared platform account and takes that merchant's
 * subscriptions and those that belong to no merchant.
 */
export function belongsToScope(s: OwnedSubscription, owners: Owners, merchants: readonly { id: string; chargeModel: ChargeModel }[]): boolean {
  if (merchants.length !== 1 || merchants[0]!.chargeModel === 'direct') return true;
  const owner = ownerOf(s, owners, PLATFORM_ACCOUNT, merchants[0]!);
  return owner.merchantId === null || owner.merchantId === merchants[0]!.id;
}
