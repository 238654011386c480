// The subscription engine: creation and first payment (subscription-creation.ts), renewals,
// dunning (past_due → retries → unpaid or canceled) and incomplete expiry after 23 h
// (subscription-renewal.ts), and changes on request: prices and quantities with prorations,
// cancel (now or at period end), pause and resume (subscription-changes.ts); the object itself
// and what they share is in subscription-objects.ts. Time-driven steps are tasks on the emulator
// clock, so advancing the clock runs them in timestamp order. This module is the engine's face
// to the API resources, the hosted pages and the control API.
export { createSubscription, type SubscriptionInput } from './subscription-creation.js';
export { cancelSubscription, pauseSubscription, resumeSubscription, updateSubscription, type CancelOptions, type ItemChange, type UpdateInput } from './subscription-changes.js';
export type { ItemInput } from './subscription-objects.js';
export { invoicePaid, payInvoice } from './subscription-renewal.js';
