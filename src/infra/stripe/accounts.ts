/**
 * The Stripe vocabulary every module shares: where a merchant's objects live and how a reference
 * to a Stripe object is read. Kept with the gateway, below the domain modules, so that infra
 * needs nothing from them.
 */

/** `stripe_account` of objects that live on the platform account. */
export const PLATFORM_ACCOUNT = 'platform';

/**
 * How a merchant sells: as the platform itself (`platform`), on its connected account whose objects
 * live there (`direct`, calls carry Stripe-Account), or on the platform with money routed to it
 * (`destination`, transfer_data[destination] + application_fee_percent).
 */
export const CHARGE_MODELS = ['platform', 'direct', 'destination'] as const;
export type ChargeModel = (typeof CHARGE_MODELS)[number];

/** The Stripe account where the merchant's customers and subscriptions live: its own for direct charges, the platform's otherwise. */
export function stripeAccountOf(merchant: { chargeModel: ChargeModel; stripeAccountId?: string | null }): string {
  return merchant.chargeModel === 'direct' && merchant.stripeAccountId ? merchant.stripeAccountId : PLATFORM_ACCOUNT;
}

/** Merchants grouped by the Stripe account their objects live on (platform and destination merchants share the platform's). */
export function groupByStripeAccount<M extends { chargeModel: ChargeModel; stripeAccountId?: string | null }>(merchants: M[]): Map<string, M[]> {
  const groups = new Map<string, M[]>();
  for (const m of merchants) groups.set(stripeAccountOf(m), [...(groups.get(stripeAccountOf(m)) ?? []), m]);
  return groups;
}

/** The id of a Stripe reference, whether it came as an id or expanded into its object. */
export const idOf = (value: string | { id: string } | null | undefined): string | null => (value === null || value === undefined ? null : typeof value === 'string' ? value : value.id);
