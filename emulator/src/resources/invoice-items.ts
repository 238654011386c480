// Invoice items (`/v1/invoiceitems`) and one-off invoices: create a draft (`POST /v1/invoices`),
// update it, add lines, delete it, send it. Finalizing, paying, voiding and marking uncollectible
// are the invoice routes of subscriptions.ts; the rules are billing/invoice-items.ts.
import type Stripe from 'stripe';
import { attachDiscounts, parseDiscounts, replaceDiscounts } from '../billing/discounts.js';
import { itemLine, pendingItems } from '../billing/invoice-item-lines.js';
import { addItemToDraft, dueTerms, finalizeDraft, itemFields, repriceDraft } from '../billing/invoice-items.js';
import { buildInvoiceOf } from '../billing/invoices.js';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { createdFilter, pageOf } from '../http/list.js';
import { Params } from '../http/params.js';
import type { ApiRouter } from '../http/routes.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { deletedStub, updateWithEvent } from './common.js';

/** Unit amount and price of an item: `amount` (+ `currency`), `pricing[price]`, or `price_data`. */
function pricingOf(scope: Scope, p: Params): { unit: number; currency: string | null; pricing: Stripe.InvoiceItem.Pricing | null; quantity: number } {
  const quantity = p.int('quantity') ?? 1;
  const priceId = p.obj('pricing')?.str('price');
  if (priceId) {
    const price = scope.prices.require(priceId, 'pricing[price]');
    return {
      unit: price.unit_amount ?? 0,
      currency: price.currency,
      pricing: { type: 'price_details', price_details: { price: price.id, product: price.product as string }, unit_amount_decimal: price.unit_amount_decimal },
      quantity,
    };
  }
  const data = p.obj('price_data');
  if (data) {
    const product = scope.products.require(data.reqStr('product'), 'price_data[product]');
    const unit = data.int('unit_amount') ?? Math.round(data.num('unit_amount_decimal') ?? 0);
    return { unit, currency: data.reqStr('currency').toLowerCase(), pricing: { type: 'price_details', price_details: { price: newId('price'), product: product.id }, unit_amount_decimal: null }, quantity };
  }
  const unitDecimal = p.num('unit_amount_decimal');
  if (unitDecimal !== undefined) return { unit: Math.round(unitDecimal), currency: null, pricing: null, quantity };
  const amount = p.int('amount');
  if (amount === undefined) throw errors.missing('amount');
  return { unit: amount, currency: null, pricing: null, quantity: 1 };
}

function createItem(emu: Emulator, scope: Scope, p: Params, announceDraft = true): Stripe.InvoiceItem {
  const customer = scope.customers.require(p.reqStr('customer'), 'customer');
  const invoice = p.str('invoice') ? scope.invoices.require(p.str('invoice')!, 'invoice') : null;
  const subId = p.str('subscription');
  const sub = subId ? scope.subscriptions.require(subId, 'subscription') : null;
  if (sub && sub.customer !== customer.id) throw errors.invalid('The subscription does not belong to this customer.', 'subscription');
  const priced = pricingOf(scope, p);
  const currency = priced.currency ?? p.str('currency')?.toLowerCase() ?? invoice?.currency ?? sub?.currency;
  if (!currency) throw errors.missing('currency');
  const now = emu.clockOf(scope, customer).now();
  const period = p.obj('period');
  const item: Stripe.InvoiceItem = {
    id: newId('ii'),
    object: 'invoiceitem',
    amount: 0,
    currency,
    customer: customer.id,
    customer_account: null,
    date: now,
    description: p.str('description') || null,
    discountable: p.bool('discountable') ?? priced.unit * priced.quantity >= 0,
    discounts: [],
    invoice: null,
    livemode: false,
    metadata: p.metadata(),
    parent: sub ? { type: 'subscription_details', subscription_details: { subscription: sub.id } } : null,
    period: period ? { start: period.int('start') ?? now, end: period.int('end') ?? now } : { start: now, end: now },
    pricing: priced.pricing,
    proration: false,
    quantity: 1,
    quantity_decimal: '1' as unknown as Stripe.Decimal,
    tax_rates: (p.strings('tax_rates') ?? []).map((t, i) => scope.taxRates.require(t, `tax_rates[${i}]`)),
    test_clock: customer.test_clock ?? null,
  };
  itemFields(item, priced.unit, priced.quantity);
  if (invoice) addItemToDraft(scope, invoice, item);
  scope.invoiceItems.add(item);
  emu.events.publish(scope, 'invoiceitem.created', item);
  if (invoice && announceDraft) emu.events.publish(scope, 'invoice.updated', invoice);
  return item;
}

/** An item may change while pending or on a draft; its draft's line follows. */
function editable(scope: Scope, item: Stripe.InvoiceItem): Stripe.Invoice | null {
  if (item.invoice === null) return null;
  const invoice = scope.invoices.get(item.invoice as string);
  if (!invoice || invoice.status !== 'draft') throw errors.invalid('You can only modify invoice items that are pending or on a draft invoice.', undefined, 'invoice_not_editable');
  return invoice;
}

function dropLine(invoice: Stripe.Invoice, itemId: string): void {
  invoice.lines.data = invoice.lines.data.filter((l) => l.parent?.invoice_item_details?.invoice_item !== itemId);
}

function collectionParams(p: Params, current: Stripe.Invoice | null) {
  const method = p.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const) ?? current?.collection_method ?? 'charge_automatically';
  const days = p.int('days_until_due');
  const due = p.int('due_date');
  if (method === 'charge_automatically' && (days !== undefined || due !== undefined)) {
    throw errors.invalid('Invoices with `collection_method=charge_automatically` cannot have `days_until_due` or `due_date`.', days !== undefined ? 'days_until_due' : 'due_date');
  }
  if (days !== undefined && due !== undefined) throw errors.invalid('You may only specify one of these parameters: days_until_due, due_date.', 'due_date');
  return { method, days, due };
}

function createOneOff(emu: Emulator, scope: Scope, p: Params): Stripe.Invoice {
  const customer = scope.customers.require(p.reqStr('customer'), 'customer');
  const behavior = p.oneOf('pending_invoice_items_behavior', ['exclude', 'include'] as const) ?? 'exclude';
  const pending = behavior === 'include' ? pendingItems(scope, customer.id, null) : [];
  const currency = p.str('currency')?.toLowerCase() || pending[0]?.currency || customer.currency || 'jpy';
  const { method, days, due } = collectionParams(p, null);
  const defaultRates = (p.strings('default_tax_rates') ?? []).map((t, i) => scope.taxRates.require(t, `default_tax_rates[${i}]`));
  const id = newId('in');
  const now = emu.clockOf(scope, customer).now();
  const specs = parseDiscounts(emu, scope, p, 'discounts', { customer: customer.id, currency }) ?? [];
  const discounts = attachDiscounts(emu, scope, specs, { customer: customer.id, invoice: id }).map((d) => scope.discounts.get(d)!);
  const lines = pending.filter((i) => i.currency === currency).map((item) => itemLine(item, id, defaultRates));
  const invoice = buildInvoiceOf(
    emu,
    scope,
    { customer: customer.id, currency, collectionMethod: method, defaultTaxRates: defaultRates, description: p.str('description') || null, discounts, subscription: null },
    'manual',
    lines,
    { start: now, end: now },
    id,
  );
  invoice.auto_advance = p.bool('auto_advance') ?? false;
  invoice.metadata = p.metadata();
  invoice.due_date = due ?? null;
  invoice.footer = p.str('footer') || null;
  if (method === 'send_invoice') dueTerms.set(invoice, days ?? 30);
  for (const line of lines) scope.invoiceItems.get(line.parent!.invoice_item_details!.invoice_item)!.invoice = id;
  scope.invoices.add(invoice);
  emu.pageIndex.set(id, scope);
  emu.events.publish(scope, 'invoice.created', invoice);
  return invoice;
}

function updateDraft(emu: Emulator, scope: Scope, invoice: Stripe.Invoice, p: Params): Stripe.Invoice {
  const draftOnly = ['collection_method', 'days_until_due', 'due_date', 'discounts', 'default_tax_rates', 'currency'];
  if (invoice.status !== 'draft' && draftOnly.some((k) => p.has(k))) {
    throw errors.invalid(`You can only update ${draftOnly.filter((k) => p.has(k)).join(', ')} on a draft invoice.`, draftOnly.find((k) => p.has(k)), 'invoice_not_editable');
  }
  return updateWithEvent(emu, scope, 'invoice.updated', invoice, () => {
    invoice.metadata = p.metadata('metadata', invoice.metadata ?? {});
    if (p.has('description')) invoice.description = p.str('description') || null;
    if (p.has('footer')) invoice.footer = p.str('footer') || null;
    const advance = p.bool('auto_advance');
    if (advance !== undefined) invoice.auto_advance = advance;
    if (invoice.status !== 'draft') return;
    const { method, days, due } = collectionParams(p, invoice);
    invoice.collection_method = method;
    if (due !== undefined) invoice.due_date = due;
    if (days !== undefined) dueTerms.set(invoice, days);
    if (method === 'charge_automatically') invoice.due_date = null;
    if (p.has('discounts')) {
      const specs = parseDiscounts(emu, scope, p, 'discounts', {
        customer: invoice.customer as string,
        currency: invoice.currency,
        current: (invoice.discounts ?? []).map((d) => (typeof d === 'string' ? d : d.id)),
      })!;
      const ids = attachDiscounts(emu, scope, specs, { customer: invoice.customer as string, invoice: invoice.id });
      replaceDiscounts(emu, scope, invoice.discounts ?? [], ids);
      invoice.discounts = ids;
    }
    if (p.has('default_tax_rates')) invoice.default_tax_rates = (p.strings('default_tax_rates') ?? []).map((t, i) => scope.taxRates.require(t, `default_tax_rates[${i}]`));
    repriceDraft(scope, invoice);
  });
}

export function invoiceItemRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/invoiceitems', [
    'amount', 'currency', 'customer', 'description', 'discountable', 'invoice', 'metadata', 'pricing[price]', 'quantity',
    'subscription', 'tax_rates', 'unit_amount_decimal',
  ], ({ scope, p }) => createItem(emu, scope, p));
  r.add('GET', '/v1/invoiceitems/:id', [], ({ scope, params }) => scope.invoiceItems.require(params.id));
  // Stripe has no `invoiceitem.updated` event; a draft it is on sends `invoice.updated`.
  r.add('POST', '/v1/invoiceitems/:id', [
    'amount', 'description', 'discountable', 'metadata', 'quantity', 'tax_rates', 'unit_amount_decimal',
  ], ({ scope, params, p }) => {
    const item = scope.invoiceItems.require(params.id);
    const draft = editable(scope, item);
    if (p.has('description')) item.description = p.str('description') || null;
    item.metadata = p.metadata('metadata', item.metadata ?? {});
    const period = p.obj('period');
    if (period) item.period = { start: period.int('start') ?? item.period.start, end: period.int('end') ?? item.period.end };
    if (p.has('discountable')) item.discountable = p.bool('discountable') ?? item.discountable;
    if (p.has('tax_rates')) item.tax_rates = (p.strings('tax_rates') ?? []).map((t, i) => scope.taxRates.require(t, `tax_rates[${i}]`));
    if (p.has('amount') || p.has('pricing') || p.has('price_data') || p.has('unit_amount_decimal') || p.has('quantity')) {
      const priced = p.has('amount') || p.has('pricing') || p.has('price_data') || p.has('unit_amount_decimal') ? pricingOf(scope, p) : null;
      if (priced?.pricing) item.pricing = priced.pricing;
      const unit = priced ? priced.unit : Math.round(item.amount / (item.quantity || 1));
      itemFields(item, unit, p.int('quantity') ?? (priced?.pricing ? priced.quantity : item.quantity));
    }
    if (draft) {
      dropLine(draft, item.id);
      item.invoice = null;
      addItemToDraft(scope, draft, item);
      emu.events.publish(scope, 'invoice.updated', draft);
    }
    return item;
  });
  r.add('DELETE', '/v1/invoiceitems/:id', [], ({ scope, params }) => {
    const item = scope.invoiceItems.require(params.id);
    const draft = editable(scope, item);
    if (draft) {
      dropLine(draft, item.id);
      repriceDraft(scope, draft);
    }
    scope.invoiceItems.remove(item.id);
    emu.events.publish(scope, 'invoiceitem.deleted', item);
    return deletedStub(item.id, 'invoiceitem');
  });
  r.add('GET', '/v1/invoiceitems', ['created', 'customer', 'ending_before', 'invoice', 'limit', 'pending', 'starting_after'], ({ scope, p }) => {
    const customer = p.str('customer');
    const invoice = p.str('invoice');
    const pending = p.bool('pending');
    const created = createdFilter(p);
    return pageOf(
      scope.invoiceItems,
      p,
      '/v1/invoiceitems',
      (i) => (!customer || i.customer === customer) && (!invoice || i.invoice === invoice) && (pending === undefined || (i.invoice === null) === pending) && (!created || created(i.date)),
    );
  });

  r.add('POST', '/v1/invoices', [
    'auto_advance', 'collection_method', 'currency', 'customer', 'days_until_due', 'default_tax_rates', 'description',
    'due_date', 'footer', 'metadata', 'pending_invoice_items_behavior',
  ], ({ scope, p }) => createOneOff(emu, scope, p));
  r.add('POST', '/v1/invoices/:id', [
    'auto_advance', 'collection_method', 'days_until_due', 'default_tax_rates', 'description', 'discounts[coupon]',
    'discounts[discount]', 'discounts[promotion_code]', 'due_date', 'footer', 'metadata',
  ], ({ scope, params, p }) => updateDraft(emu, scope, scope.invoices.require(params.id), p));
  r.add('DELETE', '/v1/invoices/:id', [], ({ scope, params }) => {
    const invoice = scope.invoices.require(params.id);
    if (invoice.status !== 'draft') throw errors.invalid('You can only delete draft invoices.', undefined, 'invoice_not_editable');
    if (invoice.parent) throw errors.invalid("You can't delete the draft invoice of a subscription.", undefined, 'invoice_not_editable');
    // Its items wait for the next invoice again.
    for (const item of scope.invoiceItems.values()) if (item.invoice === invoice.id) item.invoice = null;
    scope.invoices.remove(invoice.id);
    emu.events.publish(scope, 'invoice.deleted', invoice);
    return deletedStub(invoice.id, 'invoice');
  });
  r.add('POST', '/v1/invoices/:id/add_lines', [
    'invoice_metadata', 'lines[amount]', 'lines[description]', 'lines[discountable]', 'lines[invoice_item]',
    'lines[metadata]', 'lines[quantity]', 'lines[tax_rates]',
  ], ({ scope, params, p }) => {
    const invoice = scope.invoices.require(params.id);
    if (invoice.status !== 'draft') throw errors.invalid('You can only add lines to a draft invoice.', undefined, 'invoice_not_editable');
    const lines = p.list('lines');
    if (!lines || lines.length === 0) throw errors.missing('lines');
    return updateWithEvent(emu, scope, 'invoice.updated', invoice, () => {
      invoice.metadata = p.metadata('invoice_metadata', invoice.metadata ?? {});
      for (const line of lines) {
        const existing = line.str('invoice_item');
        if (existing) {
          const item = scope.invoiceItems.require(existing, 'lines[invoice_item]');
          if (item.invoice !== null) throw errors.invalid('This invoice item is already on an invoice.', 'lines[invoice_item]');
          addItemToDraft(scope, invoice, item);
          continue;
        }
        createItem(emu, scope, line.with({ customer: invoice.customer as string, invoice: invoice.id, currency: invoice.currency }), false);
      }
    });
  });
  r.add('POST', '/v1/invoices/:id/send', [], ({ scope, params }) => {
    const invoice = scope.invoices.require(params.id);
    if (invoice.collection_method !== 'send_invoice') throw errors.invalid('You can only send invoices with `collection_method=send_invoice`.');
    if (invoice.status === 'draft') finalizeDraft(emu, scope, invoice, undefined);
    if (invoice.status !== 'open') throw errors.invalid(`You can only send an open invoice (this one is ${invoice.status}).`);
    emu.events.publish(scope, 'invoice.sent', invoice);
    return invoice;
  });
}
