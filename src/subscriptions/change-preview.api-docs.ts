import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ACCOUNT_AUTH, ACCOUNT_IN_PATH, ApiErrors, STRIPE_CALLS } from '../infra/http/errors.api-docs.js';
import { FLOW, MONTHLY_SUBSCRIPTION } from '../infra/http/seed-flow.api-docs.js';
import { ChangePreviewView, ChangeSubscriptionDto, ChangeSubscriptionWithIdDto } from './subscriptions.dto.js';

/**
 * The OpenAPI description of the change preview, shared by the account-less route
 * (`subscriptions.previewChange`, the subscription in the path) and the account-scoped one
 * (`accountSubscriptions.previewChange`, the subscription in the body), as subscriptions.api-docs.ts
 * does for `change`. Examples follow seed-flow.api-docs.ts: 株式会社さくら商事's monthly plan
 * (¥3,000 a month, its period 2026-11-20 01:23:45 → 2026-12-20 01:23:45 UTC), previewed on
 * 2026-12-05 10:00 UTC.
 */
const PERIOD_END = MONTHLY_SUBSCRIPTION.current_period_end;
const PRORATION_DATE = '2026-12-05T10:00:00.000Z';

/** Unused time of one seat of the monthly plan from the proration date: ¥3,000 × 1,265,025 s / 2,592,000 s. */
const CREDIT = {
  description: 'Unused time on 1 × Inbox Manager after 2026-12-05',
  amount: -1464,
  price_id: FLOW.monthlyPrice,
  quantity: 1,
  period_start: PRORATION_DATE,
  period_end: PERIOD_END,
};

/** Seats 1 → 3: the credit and ¥9,000 × the same fraction, carried to the renewal (3 × ¥3,000). */
const SEATS: ChangePreviewView = {
  subscription_id: FLOW.subscriptionId,
  currency: 'jpy',
  price_id: FLOW.monthlyPrice,
  quantity: 3,
  proration_behavior: 'create_prorations',
  proration_date: PRORATION_DATE,
  amount_due_now: 0,
  next_invoice: { billed: 'period_end', amount_due: 11928, subtotal: 11928, total: 11928, period_start: PERIOD_END, period_end: '2027-01-20T01:23:45.000Z' },
  proration_lines: [
    CREDIT,
    { description: 'Remaining time on 3 × Inbox Manager after 2026-12-05', amount: 4392, price_id: FLOW.monthlyPrice, quantity: 3, period_start: PRORATION_DATE, period_end: PERIOD_END },
  ],
};

/** Monthly → yearly: a new period starts now, billed whole (¥30,000) less the credit. */
const YEARLY: ChangePreviewView = {
  ...SEATS,
  price_id: FLOW.yearlyPrice,
  quantity: 1,
  amount_due_now: 28536,
  next_invoice: { billed: 'now', amount_due: 28536, subtotal: 28536, total: 28536, period_start: PRORATION_DATE, period_end: '2027-12-05T10:00:00.000Z' },
  proration_lines: [CREDIT],
};

/** Seats 1 → 3 with always_invoice: the prorations charged now, the renewal at 3 × ¥3,000 later. */
const SEATS_NOW: ChangePreviewView = {
  ...SEATS,
  proration_behavior: 'always_invoice',
  amount_due_now: 2928,
  next_invoice: { billed: 'now', amount_due: 2928, subtotal: 2928, total: 2928, period_start: PRORATION_DATE, period_end: PERIOD_END },
};

export const previewChangeDocs = (scope: 'subscriptions' | 'accountSubscriptions') => {
  const accountScoped = scope === 'accountSubscriptions';
  const withId = <T extends object>(body: T) => (accountScoped ? { subscription_id: FLOW.subscriptionId, ...body } : body);
  return applyDecorators(
    ApiOperation({
      operationId: `${scope}.previewChange`,
      summary: 'What a change of plan, interval or quantity would cost',
      description:
        `Takes the body of \`${scope}.change\` and answers what that change would bill, as Stripe computes it (its invoice preview with the same items and proration behaviour, prorated to the second as of \`proration_date\`: now), ` +
        'changing nothing in Stripe or in the service: show it, then call `change` when the owner confirms. The same refusals as `change`, with the same codes. ' +
        '`create_prorations` (the usual default): nothing is charged now; `next_invoice` is the renewal at the end of the current period, which carries the credit for the unused time of the old price or quantity and the charge for the rest of the period on the new one (`proration_lines`). ' +
        '`always_invoice`: the prorations are invoiced and charged when the change is made (`next_invoice.billed` is `now`, `amount_due_now` its amount). `none`: no prorations; `next_invoice` is the renewal at the new price. ' +
        'An interval change (`{"interval": "year"}`) starts a new period at once whatever the behaviour: the unused time is credited and the new period billed now. ' +
        '`next_invoice` is null when the subscription ends at the period end. Any role of the account may preview (it changes nothing); `change` itself is owner only.',
    }),
    ApiBody({
      type: accountScoped ? ChangeSubscriptionWithIdDto : ChangeSubscriptionDto,
      examples: {
        seats: { summary: 'Three seats from now on, prorated', value: withId({ quantity: 3, proration_behavior: 'create_prorations' }) },
        yearly: { summary: 'The yearly plan (¥30,000 a year)', value: withId({ interval: 'year' }) },
        seatsNow: { summary: 'Three seats, the prorations charged at once', value: withId({ quantity: 3, proration_behavior: 'always_invoice' }) },
      },
    }),
    ApiOkResponse({
      type: ChangePreviewView,
      description: 'What the change would bill; nothing has changed',
      examples: {
        seats: { summary: 'Seats 1 → 3 mid-period: nothing now, the prorations on the renewal', value: SEATS },
        yearly: { summary: 'Monthly → yearly mid-period: the year less the unused month, now', value: YEARLY },
        seatsNow: { summary: 'Seats 1 → 3 with always_invoice: the prorations now', value: SEATS_NOW },
      },
    }),
    ApiErrors(ACCOUNT_AUTH, ...(accountScoped ? [ACCOUNT_IN_PATH] : []), STRIPE_CALLS, {
      400: ['price_not_in_catalog', 'price_not_found', 'price_inactive', 'no_price_for_interval', 'conflicting_change', 'nothing_to_change', 'validation_failed'],
      404: ['subscription_not_found', 'stripe_resource_missing'],
      409: ['subscription_ended', 'no_licensed_item'],
    }),
  );
};
