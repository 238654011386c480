import { accessUntil, isContracted } from './access-policy.js';

const day = 86_400_000;
const start = new Date('2026-11-01T00:00:00Z');
const end = new Date('2026-12-01T00:00:00Z');

describe('accessUntil', () => {
  it('grants active and trialing subscriptions their period', () => {
    expect(accessUntil({ status: 'active', currentPeriodStart: start, currentPeriodEnd: end, graceDays: 7 })).toEqual(end);
    expect(accessUntil({ status: 'trialing', currentPeriodStart: start, currentPeriodEnd: end, graceDays: 7 })).toEqual(end);
  });

  it('extends to the period a paid invoice covers when the subscription update has not arrived yet', () => {
    const next = new Date(end.getTime() + 30 * day);
    expect(accessUntil({ status: 'active', currentPeriodStart: start, currentPeriodEnd: end, paidThrough: next, graceDays: 7 })).toEqual(next);
  });

  it('keeps a past_due subscription for the grace after the first failed payment', () => {
    const failed = new Date(start.getTime() + 3600_000);
    expect(accessUntil({ status: 'past_due', currentPeriodStart: start, currentPeriodEnd: end, firstFailedPaymentAt: failed, graceDays: 7 })).toEqual(new Date(failed.getTime() + 7 * day));
  });

  it('never lets the grace run past the period end plus the grace', () => {
    const lateFailure = new Date(end.getTime() - day);
    expect(accessUntil({ status: 'past_due', currentPeriodStart: start, currentPeriodEnd: end, firstFailedPaymentAt: lateFailure, graceDays: 7 })?.getTime()).toBeLessThanOrEqual(end.getTime() + 7 * day);
  });

  it('estimates the failure at the period start when the failed invoice is not mirrored', () => {
    expect(accessUntil({ status: 'past_due', currentPeriodStart: start, currentPeriodEnd: end, graceDays: 3 })).toEqual(new Date(start.getTime() + 3 * day));
  });

  it.each(['incomplete', 'incomplete_expired', 'unpaid', 'canceled', 'paused'] as const)('grants nothing to %s', (status) => {
    expect(accessUntil({ status, currentPeriodStart: start, currentPeriodEnd: end, graceDays: 7 })).toBeNull();
  });
});

describe('isContracted (freee)', () => {
  it.each([
    ['active', true], ['past_due', true], ['unpaid', true], ['incomplete', true], ['paused', true],
    ['canceled', false], ['incomplete_expired', false],
  ] as const)('%s → %s', (status, contracted) => {
    expect(isContracted(status)).toBe(contracted);
  });
});
