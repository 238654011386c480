// Invoice items as invoice lines: which of a customer's pending items an invoice takes, the line
// of an item, and marking the items an invoice took. (Kept apart from invoice-items.ts, which
// uses invoices.ts, so that invoices.ts can use these.)
import type Stripe from 'stripe';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';

/** The customer's items waiting for an invoice: those of `subscription` (null: those of none). */
export function pendingItems(scope: Scope, customer: string, subscription: string | null): Stripe.InvoiceItem[] {
  const out: Stripe.InvoiceItem[] = [];
  for (const item of scope.invoiceItems.values()) {
    if (item.invoice !== null || item.customer !== customer) continue;
    const owner = item.parent?.subscription_details?.subscription ?? null;
    if (owner === null || owner === subscription) out.push(item);
  }
  return out;
}

/** An invoice item as a line of an invoice. */
export function itemLine(item: Stripe.InvoiceItem, invoiceId: string | null, defaultRates: Stripe.TaxRate[] = []): Stripe.InvoiceLineItem {
  const sub = item.parent?.subscription_details?.subscription ?? null;
  return {
    id: newId('il'),
    object: 'line_item',
    amount: item.amount,
    currency: item.currency,
    description: item.description,
    discount_amounts: [],
    discountable: item.discountable,
    discounts: [],
    invoice: invoiceId,
    livemode: false,
    metadata: { ...(item.metadata ?? {}) },
    parent: {
      type: 'invoice_item_details',
      invoice_item_details: { invoice_item: item.id, proration: item.proration, proration_details: { credited_items: null }, subscription: sub },
      subscription_item_details: null,
    },
    period: { ...item.period },
    pretax_credit_amounts: [],
    pricing: item.pricing ? { ...item.pricing } : null,
    quantity: item.quantity,
    quantity_decimal: item.quantity_decimal,
    subscription: sub,
    subtotal: item.amount,
    // Rates first; priceInvoice computes the amounts.
    taxes: (item.tax_rates?.length ? item.tax_rates : defaultRates).map((rate) => ({
      amount: 0,
      tax_behavior: rate.inclusive ? 'inclusive' : 'exclusive',
      tax_rate_details: { tax_rate: rate.id },
      taxability_reason: 'standard_rated',
      taxable_amount: 0,
      type: 'tax_rate_details',
    })),
  };
}

/** Marks the items whose lines `invoice` holds as invoiced by it. */
export function claimItems(scope: Scope, invoice: Stripe.Invoice): void {
  for (const line of invoice.lines.data) {
    const id = line.parent?.invoice_item_details?.invoice_item;
    const item = id ? scope.invoiceItems.get(id) : undefined;
    if (item && item.invoice === null) item.invoice = invoice.id;
  }
}

