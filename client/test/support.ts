import { BillingApiError } from '@billing/client';

/** The rejection of a client call, which must be a BillingApiError (anything else fails the test with what it was). */
export async function failure(call: Promise<unknown>): Promise<BillingApiError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof BillingApiError)) throw new Error(`expected a BillingApiError, got ${String(error)}`);
  return error;
}
