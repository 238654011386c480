// Creating a subscription: checks of its prices, the first invoice and payment (or a trial), and
// what follows: `incomplete` with an expiry task, or `active`/`trialing` with its renewal task.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { listOf } from '../http/list.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { anchoredFirstLines, type AnchorInput } from './anchors.js';
import { chargeOutcome, type ChargeOutcome } from './cards.js';
import { snapshot } from './diff.js';
import { attachDiscounts, type DiscountSpec } from './discounts.js';
import { refreshEntitlements } from './entitlements.js';
import { chargeInvoice, createInvoice, finalizeInvoice } from './invoices.js';
import { nextBoundary } from './periods.js';
import { buildItem, changed, details, key, NOTHING, paymentMethodOf, periodLines, type ItemInput } from './subscription-objects.js';
import { expireIncomplete, scheduleRenewal, scheduleTrial } from './subscription-renewal.js';

export interface SubscriptionInput {
  customer: Stripe.Customer;
  items: ItemInput[];
  paymentBehavior: 'allow_incomplete' | 'default_incomplete' | 'error_if_incomplete' | 'pending_if_incomplete';
  defaultPaymentMethod: string | null;
  trialEnd: number | null;
  defaultTaxRates: Stripe.TaxRate[];
  metadata: Record<string, string>;
  description: string | null;
  applicationFeePercent: number | null;
  transferData: { destination: string; amount_percent: number | null } | null;
  cancelAtPeriodEnd: boolean;
  missingPaymentMethod: 'cancel' | 'create_invoice' | 'pause';
  /** Checkout announces the subscription as incomplete before charging; the API after. */
  announceBeforePayment: boolean;
  /** `billing_cycle_anchor` / `billing_cycle_anchor_config` (billing/anchors.ts), and how its short first period is billed. */
  anchor?: AnchorInput | null;
  prorationBehavior?: 'create_prorations' | 'always_invoice' | 'none';
  /** Bulk seeding: active and paid at once, no invoice, no events. */
  seeded?: boolean;
  /** `discounts[]`, checked (billing/discounts.ts); the checkout session they came from. */
  discounts?: DiscountSpec[];
  checkoutSession?: string;
  /** The subscription schedule that creates it. */
  schedule?: string;
  /**
   * When it starts, if before now: a schedule's subscription starts with its first phase (Stripe's
   * `start_date`), so that its periods end with the phases even when the clock ticked on since the
   * phase was set (a renewal a second after the phase change would bill the old phase's prices).
   */
  startedAt?: number;
}

const sub0 = (): Pick<Stripe.Subscription, 'cancellation_details'> => ({ cancellation_details: null });

// Sub-objects the engine never mutates in place (it replaces them) are shared between
// subscriptions: at benchmark size (300,000 subscriptions) this halves the memory.
const NO_AUTOMATIC_TAX: Stripe.Subscription.AutomaticTax = Object.freeze({ disabled_reason: null, enabled: false, liability: null });
const INVOICE_SETTINGS: Stripe.Subscription.InvoiceSettings = Object.freeze({
  account_tax_ids: null,
  custom_fields: null,
  description: null,
  footer: null,
  issuer: Object.freeze({ type: 'self' as const }),
});
const PAYMENT_SETTINGS: Stripe.Subscription.PaymentSettings = Object.freeze({ payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' });
const TRIAL_SETTINGS = {
  cancel: Object.freeze({ end_behavior: Object.freeze({ billing_cycle_anchor: null, missing_payment_method: 'cancel' as const }) }),
  create_invoice: Object.freeze({ end_behavior: Object.freeze({ billing_cycle_anchor: null, missing_payment_method: 'create_invoice' as const }) }),
  pause: Object.freeze({ end_behavior: Object.freeze({ billing_cycle_anchor: null, missing_payment_method: 'pause' as const }) }),
};

export function createSubscription(emu: Emulator, scope: Scope, input: SubscriptionInput): Stripe.Subscription {
  const clock = emu.clockOf(scope, input.customer);
  if (input.items.length === 0) throw errors.missing('items');
  const first = input.items[0].price;
  for (const [i, it] of input.items.entries()) {
    if (it.price.type !== 'recurring' || !it.price.recurring) {
      throw errors.invalid(`The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`, `items[${i}][price]`);
    }
    if (it.price.currency !== first.currency) throw errors.invalid('All prices on a subscription must have the same currency.', `items[${i}][price]`);
    if (it.price.recurring.interval !== first.recurring!.interval || it.price.recurring.interval_count !== first.recurring!.interval_count) {
      throw errors.invalid('All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.', `items[${i}][price]`);
    }
  }
  const now = input.startedAt !== undefined ? Math.min(input.startedAt, clock.now()) : clock.now();
  const trial = input.trialEnd !== null && input.trialEnd > now;
  if (input.paymentBehavior === 'error_if_incomplete' && !trial && !input.seeded) {
    const pm = input.defaultPaymentMethod ?? (input.customer.invoice_settings.default_payment_method as string | null);
    const outcome = chargeOutcome(pm ? scope.cards.get(pm) : undefined, true);
    if (outcome.kind !== 'succeeded') throw declineError(outcome);
  }
  const natural = nextBoundary(now, first.recurring!, now);
  const anchor = !trial && input.anchor ? input.anchor : null;
  const end = trial ? input.trialEnd! : anchor ? anchor.at : natural;
  const sub: Stripe.Subscription = {
    id: newId('sub'),
    object: 'subscription',
    application: null,
    application_fee_percent: input.applicationFeePercent,
    automatic_tax: NO_AUTOMATIC_TAX,
    billing_cycle_anchor: trial ? input.trialEnd! : anchor ? anchor.at : now,
    billing_cycle_anchor_config: anchor?.config ?? null,
    billing_mode: { type: 'flexible', flexible: { proration_discounts: 'itemized' }, updated_at: now },
    billing_schedules: NOTHING,
    billing_thresholds: null,
    cancel_at: input.cancelAtPeriodEnd ? end : null,
    cancel_at_period_end: input.cancelAtPeriodEnd,
    canceled_at: input.cancelAtPeriodEnd ? now : null,
    cancellation_details: details(sub0(), { reason: input.cancelAtPeriodEnd ? 'cancellation_requested' : null }),
    collection_method: 'charge_automatically',
    created: now,
    currency: first.currency,
    customer: input.customer.id,
    customer_account: null,
    days_until_due: null,
    default_payment_method: input.defaultPaymentMethod,
    default_source: null,
    default_tax_rates: input.defaultTaxRates.length > 0 ? input.defaultTaxRates : NOTHING,
    description: input.description,
    discounts: NOTHING,
    ended_at: null,
    invoice_settings: INVOICE_SETTINGS,
    items: listOf([], ''),
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: PAYMENT_SETTINGS,
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: input.schedule ?? null,
    start_date: now,
    status: trial ? 'trialing' : 'incomplete',
    test_clock: input.customer.test_clock ?? null,
    transfer_data: input.transferData,
    trial_end: trial ? input.trialEnd : null,
    trial_settings: TRIAL_SETTINGS[input.missingPaymentMethod],
    trial_start: trial ? now : null,
  };
  sub.items = listOf(
    input.items.map((it) => buildItem(scope, sub, it, now, { start: now, end })),
    `/v1/subscription_items?subscription=${sub.id}`,
  );
  scope.subscriptions.add(sub);
  if (input.discounts?.length) {
    sub.discounts = attachDiscounts(emu, scope, input.discounts, { customer: input.customer.id, subscription: sub.id, checkout_session: input.checkoutSession });
  }
  if (input.seeded) {
    sub.status = 'active';
    scheduleRenewal(emu, scope, sub);
    return sub;
  }

  const lines =
    anchor && anchor.at < natural
      ? anchoredFirstLines(scope, sub, now, anchor.at, input.prorationBehavior ?? 'create_prorations')
      : periodLines(scope, sub, { start: now, end }, trial);
  const invoice = createInvoice(emu, scope, sub, 'subscription_create', lines, { start: now, end });
  sub.latest_invoice = invoice.id;
  if (trial || input.announceBeforePayment || input.paymentBehavior === 'default_incomplete') {
    emu.events.publish(scope, 'customer.subscription.created', sub);
  }
  if (trial) {
    finalizeInvoice(emu, scope, invoice);
    scheduleTrial(emu, scope, sub);
    refreshEntitlements(emu, scope, sub.customer as string);
    return sub;
  }
  finalizeInvoice(emu, scope, invoice);
  const announced = input.announceBeforePayment || input.paymentBehavior === 'default_incomplete';
  const before = snapshot(sub);
  if (invoice.status === 'paid') sub.status = 'active';
  else if (input.paymentBehavior !== 'default_incomplete') {
    const outcome = chargeInvoice(emu, scope, invoice, paymentMethodOf(scope, sub), { onSession: true, nextAttempt: null });
    if (outcome.kind === 'succeeded') sub.status = 'active';
  }
  if (sub.status === 'incomplete') {
    clock.schedule(now + emu.settings.incompleteExpirySeconds, key('expire', sub), () => expireIncomplete(emu, scope, sub));
  } else {
    scheduleRenewal(emu, scope, sub);
  }
  if (announced) changed(emu, scope, sub, before);
  else {
    emu.events.publish(scope, 'customer.subscription.created', sub);
    refreshEntitlements(emu, scope, sub.customer as string);
  }
  return sub;
}

function declineError(outcome: ChargeOutcome) {
  if (outcome.kind === 'declined') return errors.card(outcome.declineCode, outcome.message);
  return errors.card('authentication_required', 'Your card was declined. This transaction requires authentication.');
}
