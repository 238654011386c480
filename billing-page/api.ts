// The API as the page uses it: `@billing/client` on this origin, nothing else. Every failure is the
// client's BillingApiError (its `code` picks the words the page shows).
import {
  BillingApiError,
  createBillingClient,
  type AccountInfo,
  type AccountMerchant,
  type CatalogPrice,
  type ChangePreview,
  type Feature,
  type Invoice,
  type Subscription,
  type SubscriptionsApi,
} from '@billing/client';

export type { AccountInfo, AccountMerchant, CatalogPrice, ChangePreview, Feature, Invoice, Subscription, SubscriptionsApi };
export { BillingApiError };

/** The changes the page makes: an interval, a number of seats (the API takes a price too). */
export type ChangeParams = { interval: 'month' | 'year' } | { quantity: number };

/**
 * The account's subscriptions API on this origin. `token` is read before every request, so that a
 * token the host sends later (a refresh) is used from then on; `applicationId` is the `app`
 * parameter, for hosts whose tokens carry no `app` claim.
 */
export function pageApi(token: () => string | undefined, applicationId: string | undefined): SubscriptionsApi {
  return createBillingClient({ baseUrl: location.origin, token, ...(applicationId ? { applicationId } : {}) }).subscriptions;
}
