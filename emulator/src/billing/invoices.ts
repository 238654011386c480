// Invoices of subscriptions: built as drafts from line items, finalized (open), then charged.
// A charge's outcome comes from the test card (billing/cards.ts). What a failed charge does to
// the subscription (past_due, retries, dunning) is decided in billing/subscriptions.ts.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { listOf } from '../http/list.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { decimal } from '../resources/catalog.js';
import { claimItems, itemLine, pendingItems } from './invoice-item-lines.js';
import { applyDiscounts, discountedAmount, discountsFor, expireDiscounts, spendDiscounts } from './discounts.js';
import type { ChargeOutcome } from './cards.js';
import { attemptInvoicePayment, cancelInvoiceIntent, openInvoiceIntent, settleInvoicePayment } from './payment-intents.js';

export interface LineInput {
  item: Stripe.SubscriptionItem;
  amount: number;
  quantity: number;
  description: string;
  period: { start: number; end: number };
  proration: boolean;
  taxRates: Stripe.TaxRate[];
}

function lineTaxes(amount: number, rates: Stripe.TaxRate[]): Stripe.InvoiceLineItem.Tax[] {
  return rates.map((rate) => {
    const pct = rate.percentage / 100;
    const tax = rate.inclusive ? amount - Math.round(amount / (1 + pct)) : Math.round(amount * pct);
    return {
      amount: tax,
      tax_behavior: rate.inclusive ? 'inclusive' : 'exclusive',
      tax_rate_details: { tax_rate: rate.id },
      taxability_reason: 'standard_rated',
      taxable_amount: rate.inclusive ? amount - tax : amount,
      type: 'tax_rate_details',
    };
  });
}

export function buildLine(sub: Stripe.Subscription, input: LineInput): Stripe.InvoiceLineItem {
  const price = input.item.price;
  return {
    id: newId('il'),
    object: 'line_item',
    amount: input.amount,
    currency: price.currency,
    description: input.description,
    discount_amounts: [],
    discountable: !input.proration,
    discounts: [],
    invoice: null,
    livemode: false,
    metadata: {},
    parent: {
      type: 'subscription_item_details',
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: input.proration ? newId('ii') : null,
        proration: input.proration,
        proration_details: input.proration ? { credited_items: null } : null,
        subscription: sub.id,
        subscription_item: input.item.id,
      },
    },
    period: input.period,
    pretax_credit_amounts: [],
    pricing: {
      type: 'price_details',
      price_details: { price: price.id, product: typeof price.product === 'string' ? price.product : price.product.id },
      unit_amount_decimal: price.unit_amount_decimal,
    },
    quantity: input.quantity,
    quantity_decimal: decimal(input.quantity),
    subscription: sub.id,
    subtotal: input.amount,
    taxes: lineTaxes(input.amount, input.taxRates),
  };
}

function totals(lines: Stripe.InvoiceLineItem[]) {
  let subtotal = 0;
  let discount = 0;
  let exclusive = 0;
  let inclusive = 0;
  const byRate = new Map<string, Stripe.Invoice.TotalTax>();
  for (const line of lines) {
    subtotal += line.amount;
    discount += line.amount - discountedAmount(line);
    for (const tax of line.taxes ?? []) {
      if (tax.tax_behavior === 'inclusive') inclusive += tax.amount;
      else exclusive += tax.amount;
      const rate = tax.tax_rate_details?.tax_rate ?? '';
      const agg = byRate.get(rate);
      if (agg) {
        agg.amount += tax.amount;
        agg.taxable_amount = (agg.taxable_amount ?? 0) + (tax.taxable_amount ?? 0);
      } else byRate.set(rate, { ...tax, tax_rate_details: tax.tax_rate_details ? { ...tax.tax_rate_details } : null });
    }
  }
  const total = subtotal - discount + exclusive;
  return { subtotal, discount, exclusive, inclusive, total, totalTaxes: [...byRate.values()] };
}

/** Who an invoice bills: a subscription, or (a one-off invoice) a customer alone. */
export interface InvoiceOwner {
  customer: string;
  currency: string;
  collectionMethod: Stripe.Invoice.CollectionMethod;
  defaultTaxRates: Stripe.TaxRate[];
  description: string | null;
  /** The discounts that apply (billing/discounts.ts chooses them). */
  discounts: Stripe.Discount[];
  subscription: Stripe.Subscription | null;
}

/**
 * Sets an invoice's amounts from its lines (`lines.data`): the discounts taken off, taxes on what
 * they leave, totals. A draft's amounts are set again whenever its lines or discounts change.
 */
export function priceInvoice(scope: Scope, invoice: Stripe.Invoice, discounts: Stripe.Discount[]): Stripe.Invoice {
  const lines = invoice.lines.data;
  const discountTotals = applyDiscounts(discounts, lines);
  for (const l of lines) {
    const rates = (l.taxes ?? []).map((x) => scope.taxRates.get(x.tax_rate_details!.tax_rate)!);
    l.taxes = lineTaxes(discountedAmount(l), rates);
  }
  const t = totals(lines);
  invoice.discounts = discounts.map((d) => d.id);
  invoice.total_discount_amounts = discountTotals;
  invoice.amount_due = Math.max(0, t.total);
  invoice.amount_remaining = Math.max(0, t.total - invoice.amount_paid);
  invoice.subtotal = t.subtotal;
  invoice.subtotal_excluding_tax = t.subtotal - t.inclusive;
  invoice.total = t.total;
  invoice.total_excluding_tax = t.subtotal - t.discount - t.inclusive;
  invoice.total_taxes = t.totalTaxes;
  return invoice;
}

/**
 * A subscription's invoice over `lines`, neither stored nor announced: what createInvoice stores, and
 * (with `id` null) the preview `invoice.upcoming` carries.
 */
export function buildInvoice(
  emu: Emulator,
  scope: Scope,
  sub: Stripe.Subscription,
  billingReason: Stripe.Invoice.BillingReason,
  lines: Stripe.InvoiceLineItem[],
  period: { start: number; end: number },
  id: string | null,
): Stripe.Invoice {
  const owner: InvoiceOwner = {
    customer: sub.customer as string,
    currency: sub.currency,
    collectionMethod: sub.collection_method,
    defaultTaxRates: sub.default_tax_rates ?? [],
    description: sub.description,
    discounts: discountsFor(scope, sub, Math.max(emu.clockOf(scope, sub.customer).now(), period.start)),
    subscription: sub,
  };
  const items = pendingItems(scope, owner.customer, sub.id).map((item) => itemLine(item, id, owner.defaultTaxRates));
  return buildInvoiceOf(emu, scope, owner, billingReason, [...lines, ...items], period, id);
}

export function buildInvoiceOf(
  emu: Emulator,
  scope: Scope,
  owner: InvoiceOwner,
  billingReason: Stripe.Invoice.BillingReason,
  lines: Stripe.InvoiceLineItem[],
  period: { start: number; end: number },
  id: string | null,
): Stripe.Invoice {
  const sub = owner.subscription;
  const customer = scope.customers.get(owner.customer);
  const now = emu.clockOf(scope, owner.customer).now();
  const own = lines.map((l) => ({ ...l, invoice: id }));
  const invoice: Stripe.Invoice = {
    id: id as string, // null only for the preview, which drops it
    object: 'invoice',
    account_country: 'JP',
    account_name: null,
    account_tax_ids: null,
    amount_due: 0,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: 0,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: billingReason,
    collection_method: owner.collectionMethod,
    created: now,
    currency: owner.currency,
    custom_fields: null,
    customer: owner.customer,
    customer_account: null,
    customer_address: customer?.address ?? null,
    customer_email: customer?.email ?? null,
    customer_name: customer?.name ?? null,
    customer_phone: customer?.phone ?? null,
    customer_shipping: null,
    customer_tax_exempt: customer?.tax_exempt ?? 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: owner.defaultTaxRates,
    description: owner.description,
    discounts: [],
    due_date: null,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: listOf(
      own,
      id ? `/v1/invoices/${id}/lines` : `/v1/invoices/upcoming/lines?subscription=${sub?.id ?? ''}`,
    ),
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: sub
      ? { type: 'subscription_details', quote_details: null, subscription_details: { metadata: { ...sub.metadata }, subscription: sub.id } }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: period.end,
    period_start: period.start,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: 0,
    subtotal_excluding_tax: 0,
    test_clock: customer?.test_clock ?? null,
    total: 0,
    total_discount_amounts: [],
    total_excluding_tax: 0,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: id ? now : null,
  };
  return priceInvoice(scope, invoice, owner.discounts);
}

export function createInvoice(
  emu: Emulator,
  scope: Scope,
  sub: Stripe.Subscription,
  billingReason: Stripe.Invoice.BillingReason,
  lines: Stripe.InvoiceLineItem[],
  period: { start: number; end: number },
): Stripe.Invoice {
  const id = newId('in');
  expireDiscounts(emu, scope, sub);
  const invoice = buildInvoice(emu, scope, sub, billingReason, lines, period, id);
  spendDiscounts(scope, invoice);
  claimItems(scope, invoice);
  scope.invoices.add(invoice);
  emu.pageIndex.set(id, scope);
  emu.events.publish(scope, 'invoice.created', invoice);
  return invoice;
}

/** draft → open. A zero-amount invoice is paid at once, as in Stripe. */
export function finalizeInvoice(emu: Emulator, scope: Scope, invoice: Stripe.Invoice): void {
  const now = emu.clockOf(scope, invoice.customer).now();
  const customer = scope.customers.get(invoice.customer as string);
  const seq = customer ? customer.next_invoice_sequence ?? 1 : 1;
  if (customer) customer.next_invoice_sequence = seq + 1;
  invoice.status = 'open';
  invoice.number = `${customer?.invoice_prefix ?? 'EMU'}-${String(seq).padStart(4, '0')}`;
  invoice.effective_at = now;
  invoice.status_transitions.finalized_at = now;
  invoice.hosted_invoice_url = `${emu.publicUrl}/invoice/${invoice.id}`;
  invoice.invoice_pdf = `${emu.publicUrl}/invoice/${invoice.id}/pdf`;
  // Its payments go through a PaymentIntent, created now (its client_secret is the invoice's confirmation_secret).
  if (invoice.amount_due > 0) openInvoiceIntent(emu, scope, invoice);
  emu.events.publish(scope, 'invoice.finalized', invoice);
  if (invoice.amount_due === 0) markPaid(emu, scope, invoice);
}

export function markPaid(emu: Emulator, scope: Scope, invoice: Stripe.Invoice): void {
  const now = emu.clockOf(scope, invoice.customer).now();
  invoice.status = 'paid';
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.next_payment_attempt = null;
  invoice.status_transitions.paid_at = now;
  settleInvoicePayment(emu, scope, invoice);
  emu.events.publish(scope, 'invoice.paid', invoice);
  emu.events.publish(scope, 'invoice.payment_succeeded', invoice);
}

export function voidInvoice(emu: Emulator, scope: Scope, invoice: Stripe.Invoice): void {
  if (invoice.status !== 'open' && invoice.status !== 'draft') return;
  invoice.status = 'void';
  invoice.next_payment_attempt = null;
  invoice.auto_advance = false;
  invoice.status_transitions.voided_at = emu.clockOf(scope, invoice.customer).now();
  cancelInvoiceIntent(emu, scope, invoice);
  emu.events.publish(scope, 'invoice.voided', invoice);
}

export function markUncollectible(emu: Emulator, scope: Scope, invoice: Stripe.Invoice): void {
  invoice.status = 'uncollectible';
  invoice.next_payment_attempt = null;
  invoice.status_transitions.marked_uncollectible_at = emu.clockOf(scope, invoice.customer).now();
  emu.events.publish(scope, 'invoice.marked_uncollectible', invoice);
}

/**
 * Charges an open invoice with a payment method (through its PaymentIntent) and publishes the events
 * of the outcome. `nextAttempt` is the retry time to show on a failure (null when no retry will follow).
 */
export function chargeInvoice(
  emu: Emulator,
  scope: Scope,
  invoice: Stripe.Invoice,
  paymentMethod: string | null,
  opts: { onSession: boolean; nextAttempt: number | null },
): ChargeOutcome {
  const outcome = attemptInvoicePayment(emu, scope, invoice, paymentMethod, opts.onSession);
  recordInvoiceAttempt(emu, scope, invoice, paymentMethod, outcome, opts.nextAttempt);
  return outcome;
}

/** The invoice's side of a payment attempt on its PaymentIntent (also when the customer confirms that PaymentIntent). */
export function recordInvoiceAttempt(
  emu: Emulator,
  scope: Scope,
  invoice: Stripe.Invoice,
  paymentMethod: string | null,
  outcome: ChargeOutcome,
  nextAttempt: number | null,
): void {
  invoice.attempt_count++;
  invoice.attempted = true;
  if (paymentMethod) invoice.default_payment_method = paymentMethod;
  if (outcome.kind === 'succeeded') {
    markPaid(emu, scope, invoice);
    return;
  }
  invoice.next_payment_attempt = nextAttempt;
  if (outcome.kind === 'requires_action') {
    // A renewal needing 3DS is also a failed automatic payment; a first payment only asks for action.
    if (invoice.billing_reason !== 'subscription_create') emu.events.publish(scope, 'invoice.payment_failed', invoice);
    emu.events.publish(scope, 'invoice.payment_action_required', invoice);
  } else {
    emu.events.publish(scope, 'invoice.payment_failed', invoice);
  }
}
