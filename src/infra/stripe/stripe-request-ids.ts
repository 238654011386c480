import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The `Request-Id` of every Stripe response (each attempt, retries included) received while some
 * work runs, for the audit trail: which Stripe requests one API request caused. Collected by the
 * gateway's HTTP client, whatever service made the call, so that no service has to pass them on.
 */
const collectors = new AsyncLocalStorage<string[]>();

/** Runs `work` with every Stripe request id it causes appended to `ids`. */
export function collectStripeRequestIds<T>(ids: string[], work: () => T): T {
  return collectors.run(ids, work);
}

/** Called by the gateway for each Stripe response. */
export function noteStripeRequestId(id: string | undefined): void {
  if (id) collectors.getStore()?.push(id);
}
