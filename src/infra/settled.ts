/**
 * Waits for every promise to settle, then answers their values, or throws the first failure. Unlike
 * Promise.all nothing is left running behind a failure: work that writes (a reconcile's accounts)
 * has ended before its caller goes on, to release its locks or record the run.
 */
export async function allSettledOrThrow<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * `work` on every item, `atOnce` items at a time (a group settles before the next starts), the
 * values in the items' order; the first failure is thrown once its group has settled. For a few
 * round trips to Stripe side by side without bursting past its rate limit.
 */
export async function inGroupsOf<T, R>(atOnce: number, items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const values: R[] = [];
  for (let i = 0; i < items.length; i += atOnce) values.push(...(await allSettledOrThrow(items.slice(i, i + atOnce).map(work))));
  return values;
}
