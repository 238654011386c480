import type Stripe from 'stripe';
import type { SubscriptionStatus } from './subscription.entity.js';
import { type UsageType } from '../entitlements/catalog.entity.js';
import { idOf } from '../infra/stripe/accounts.js';
/** Stripe's unix seconds as a Date (null stays null). */
export const fromUnix = (seconds: number | null | undefined): Date | null => (seconds === null || seconds === undefined ? null : new Date(seconds * 1000));

/** The subscription's row in our mirror, read off Stripe's object (API 2026-10-28: periods live on the items). */
export interface SubscriptionRow {
  id: string;
  customerId: string;
  status: SubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  cancelAt: Date | null;
  canceledAt: Date | null;
  endedAt: Date | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  trialStart: Date | null;
  trialEnd: Date | null;
  latestInvoiceId: string | null;
  stripeCreated: Date;
  metadata: Record<string, string>;
  items: SubscriptionItemRow[];
}

export interface SubscriptionItemRow {
  id: string;
  priceId: string;
  productId: string;
  quantity: number | null;
  usageType: UsageType;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
}

export function subscriptionRow(sub: Stripe.Subscription, items: Stripe.SubscriptionItem[] = sub.items.data): SubscriptionRow {
  const itemRows = items.map(itemRow);
  const starts = itemRows.map((i) => i.currentPeriodStart?.getTime()).filter((t): t is number => t !== undefined);
  const ends = itemRows.map((i) => i.currentPeriodEnd?.getTime()).filter((t): t is number => t !== undefined);
  return {
    id: sub.id,
    customerId: idOf(sub.customer)!,
    status: sub.status as SubscriptionStatus,
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    cancelAt: fromUnix(sub.cancel_at),
    canceledAt: fromUnix(sub.canceled_at),
    endedAt: fromUnix(sub.ended_at),
    // Items can renew on different days; the subscription's period is the span they all cover.
    currentPeriodStart: starts.length ? new Date(Math.min(...starts)) : null,
    currentPeriodEnd: ends.length ? new Date(Math.max(...ends)) : null,
    trialStart: fromUnix(sub.trial_start),
    trialEnd: fromUnix(sub.trial_end),
    latestInvoiceId: idOf(sub.latest_invoice),
    stripeCreated: fromUnix(sub.created)!,
    metadata: { ...(sub.metadata ?? {}) },
    items: itemRows,
  };
}

function itemRow(item: Stripe.SubscriptionItem): SubscriptionItemRow {
  const price = item.price;
  const usageType: UsageType = price.recurring?.usage_type === 'metered' ? 'metered' : 'licensed';
  return {
    id: item.id,
    priceId: price.id,
    productId: idOf(price.product)!,
    // Metered items have no quantity: usage is reported instead.
    quantity: usageType === 'metered' ? null : (item.quantity ?? 1),
    usageType,
    currentPeriodStart: fromUnix(item.current_period_start),
    currentPeriodEnd: fromUnix(item.current_period_end),
  };
}

export interface InvoiceRow {
  id: string;
  subscriptionId: string | null;
  customerId: string;
  status: string | null;
  billingReason: string | null;
  currency: string;
  amountDue: number;
  amountPaid: number;
  amountRemaining: number;
  total: number;
  hostedInvoiceUrl: string | null;
  periodStart: Date | null;
  periodEnd: Date | null;
  attemptCount: number;
  nextPaymentAttempt: Date | null;
  stripeCreated: Date;
}

export function invoiceRow(invoice: Stripe.Invoice): InvoiceRow {
  // The period an invoice pays for is the span of its subscription lines (invoice.period_* is the
  // previous period for renewals, so it would end access one period early). Only the lines reaching
  // the latest end count: a renewal also bills metered items in arrears, for the period that just
  // ended, and those lines would stretch the period back by one.
  const lines = (invoice.lines?.data ?? []).filter((l) => typeof l.period?.start === 'number' && typeof l.period?.end === 'number');
  const lineEnds = lines.map((l) => l.period.end);
  const latestEnd = lineEnds.length ? Math.max(...lineEnds) : null;
  const lineStarts = lines.filter((l) => l.period.end === latestEnd).map((l) => l.period.start);
  return {
    id: invoice.id!,
    subscriptionId: idOf(invoice.parent?.subscription_details?.subscription ?? null),
    customerId: idOf(invoice.customer)!,
    status: invoice.status ?? null,
    billingReason: invoice.billing_reason ?? null,
    currency: invoice.currency,
    amountDue: invoice.amount_due,
    amountPaid: invoice.amount_paid,
    amountRemaining: invoice.amount_remaining,
    total: invoice.total,
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    periodStart: lineStarts.length ? fromUnix(Math.min(...lineStarts)) : fromUnix(invoice.period_start),
    periodEnd: lineEnds.length ? fromUnix(Math.max(...lineEnds)) : fromUnix(invoice.period_end),
    attemptCount: invoice.attempt_count ?? 0,
    nextPaymentAttempt: fromUnix(invoice.next_payment_attempt),
    stripeCreated: fromUnix(invoice.created)!,
  };
}
