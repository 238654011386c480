// Invoice items and one-off invoices. A pending item (no invoice yet) of a customer goes on the
// customer's next invoice: its subscription's next one (an item naming a subscription only on
// that one's), or a one-off invoice created with `pending_invoice_items_behavior=include`. An item
// created with `invoice` goes on that draft at once. One-off invoices have no parent, bill
// `manual`ly, and are collected automatically (`charge_automatically`, an hour after finalizing
// when `auto_advance`, as Stripe does) or sent (`send_invoice`, due `days_until_due` later).
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import type { Scope } from '../store/scope.js';
import { decimal } from '../resources/catalog.js';
import { itemLine } from './invoice-item-lines.js';
import { chargeInvoice, finalizeInvoice, priceInvoice } from './invoices.js';

const DAY = 86_400;
/** Stripe attempts an auto-advancing invoice's payment about an hour after it is finalized. */
const COLLECTION_DELAY = 3600;

/** The discounts a one-off invoice's own `discounts` name. */
export function invoiceDiscounts(scope: Scope, invoice: Stripe.Invoice): Stripe.Discount[] {
  return (invoice.discounts ?? []).map((d) => scope.discounts.get(typeof d === 'string' ? d : d.id)).filter((d): d is Stripe.Discount => !!d);
}

/** Adds an item to a draft invoice's lines and prices the invoice again. */
export function addItemToDraft(scope: Scope, invoice: Stripe.Invoice, item: Stripe.InvoiceItem): void {
  if (invoice.status !== 'draft') throw errors.invalid(`You can only add invoice items to draft invoices (this one is ${invoice.status}).`, 'invoice', 'invoice_not_editable');
  if (invoice.currency !== item.currency) throw errors.invalid(`The invoice item's currency (${item.currency}) must match the invoice's (${invoice.currency}).`, 'currency');
  item.invoice = invoice.id;
  invoice.lines.data.push(itemLine(item, invoice.id, invoice.default_tax_rates));
  repriceDraft(scope, invoice);
}

/** A draft's amounts after its lines or discounts changed. */
export function repriceDraft(scope: Scope, invoice: Stripe.Invoice): void {
  // A subscription's draft keeps the discounts it was built with; a one-off invoice has its own.
  priceInvoice(scope, invoice, invoiceDiscounts(scope, invoice));
}

/** draft → open for an invoice the API finalizes: a due date for `send_invoice`, automatic collection for an auto-advancing `charge_automatically` one. */
export function finalizeDraft(emu: Emulator, scope: Scope, invoice: Stripe.Invoice, autoAdvance: boolean | undefined): void {
  const clock = emu.clockOf(scope, invoice.customer);
  if (invoice.status !== 'draft') throw errors.invalid('This invoice is already finalized, you can\'t re-finalize a non-draft invoice.', undefined, 'invoice_not_editable');
  if (autoAdvance !== undefined) invoice.auto_advance = autoAdvance;
  const now = clock.now();
  const terms = dueTerms.get(invoice);
  if (invoice.collection_method === 'send_invoice' && invoice.due_date === null) invoice.due_date = now + (terms ?? 30) * DAY;
  finalizeInvoice(emu, scope, invoice);
  if (invoice.status !== 'open') return;
  if (invoice.collection_method === 'send_invoice') {
    scheduleOverdue(emu, scope, invoice);
    return;
  }
  if (invoice.auto_advance && !invoice.parent) {
    clock.schedule(now + COLLECTION_DELAY, `collect_invoice:${invoice.id}`, () => {
      if (invoice.status !== 'open') return;
      const pm = scope.customers.get(invoice.customer as string)?.invoice_settings.default_payment_method;
      chargeInvoice(emu, scope, invoice, typeof pm === 'string' ? pm : null, { onSession: false, nextAttempt: null });
    });
  }
}

/** `invoice.overdue` when a sent invoice's due date passes unpaid. */
function scheduleOverdue(emu: Emulator, scope: Scope, invoice: Stripe.Invoice): void {
  if (invoice.due_date === null) return;
  emu.clockOf(scope, invoice.customer).schedule(invoice.due_date, `overdue:${invoice.id}`, () => {
    if (invoice.status === 'open') emu.events.publish(scope, 'invoice.overdue', invoice);
  });
}

/** `days_until_due` of a draft `send_invoice` invoice, until finalizing turns it into a `due_date` (the invoice object has no such field). */
export const dueTerms = new WeakMap<Stripe.Invoice, number>();

export function itemFields(item: Stripe.InvoiceItem, unitAmount: number, quantity: number): void {
  item.amount = unitAmount * quantity;
  item.quantity = quantity;
  item.quantity_decimal = decimal(quantity) as Stripe.Decimal;
  if (item.pricing) item.pricing.unit_amount_decimal = decimal(unitAmount);
}
