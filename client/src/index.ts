/**
 * `@billing/client`: the billing service's API from TypeScript, in Node 20+ and browsers. Types are
 * generated from the service's OpenAPI document (src/schema.d.ts); the methods are a small layer
 * on openapi-fetch that adds the token, the application and idempotency keys, and throws
 * BillingApiError for anything but a 2xx.
 */
export { createBillingClient } from './client.js';
export type { AdminApi, BillingClient, BillingClientOptions, CallOptions, MutationOptions, PartnerApi, PartnerCallOptions, SubscriptionsApi, TokenSource } from './client.js';
export { BillingApiError, parseRetryAfter } from './errors.js';
export type * from './types.js';
/** The generated types of the whole document, for what the named types above leave out. */
export type { components, operations, paths } from './schema.js';
