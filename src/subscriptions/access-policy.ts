import type { SubscriptionStatus } from './subscription.entity.js';

/**
 * The access policy (DESIGN.md, "Access policy") as one pure function, so that webhooks, syncs and
 * the reconciler all store the same `access_until`, and reads compare it with "now".
 *
 * - active, trialing: until the end of the paid (or trial) period, the later of the
 *   subscription's period end and the period end of its latest paid invoice (invoice.paid may
 *   arrive before the subscription update that moves the period);
 * - set to cancel at period end: the same, which is the period end;
 * - past_due: until the grace after the first failed payment, never past period end + grace;
 * - incomplete, incomplete_expired, unpaid, canceled, paused: no access.
 */
export interface AccessInput {
  status: SubscriptionStatus;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  paidThrough?: Date | null;
  firstFailedPaymentAt?: Date | null;
  graceDays: number;
}

const DAY_MS = 86_400_000;

/**
 * Statuses after which a subscription is over for good: it cannot be changed, does not count as a
 * contract, and a new one may be bought. Also spelled in SQL as ENDED_STATUSES_SQL.
 */
export const ENDED_STATUSES: ReadonlySet<string> = new Set(['canceled', 'incomplete_expired']);
export const ENDED_STATUSES_SQL = `('canceled', 'incomplete_expired')`;

export function accessUntil(input: AccessInput): Date | null {
  switch (input.status) {
    case 'active':
    case 'trialing':
      return latest(input.currentPeriodEnd, input.paidThrough ?? null);
    case 'past_due': {
      const grace = input.graceDays * DAY_MS;
      const periodLimit = input.currentPeriodEnd ? input.currentPeriodEnd.getTime() + grace : undefined;
      // Stripe starts the new period when it bills a renewal, so a renewal that failed failed at the
      // period's start; without the failed invoice in the mirror, that is the best estimate.
      const failedAt = input.firstFailedPaymentAt?.getTime() ?? input.currentPeriodStart?.getTime();
      if (failedAt === undefined) return null;
      const end = periodLimit === undefined ? failedAt + grace : Math.min(failedAt + grace, periodLimit);
      return new Date(end);
    }
    default:
      return null;
  }
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a.getTime() >= b.getTime() ? a : b;
}

/** freee's classification: which statuses count as a contract (an operation can bring them back to active). */
export function isContracted(status: SubscriptionStatus): boolean {
  return status !== 'canceled' && status !== 'incomplete_expired';
}
