// The shape check's samples of invoice items and one-off invoices (shapes.spec.ts calls it): each
// answer and, through the harness's receiver, each event these calls publish.
import type Stripe from 'stripe';
import type { RunningEmulator } from '../src/index.js';

type Add = (label: string, type: string, value: unknown) => void;

export async function invoiceItemSamples(stripe: Stripe, emu: RunningEmulator, add: Add): Promise<void> {
  const customer = await stripe.customers.create({ email: 'items@example.com', invoice_settings: { default_payment_method: 'pm_card_visa' } });
  const product = await stripe.products.create({ name: 'Setup' });
  const oneTime = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 1500 });
  const rate = await stripe.taxRates.create({ display_name: 'JCT', percentage: 10, inclusive: false });

  const item = await stripe.invoiceItems.create({ customer: customer.id, amount: 500, currency: 'jpy', description: 'Fee', metadata: { a: 'b' }, tax_rates: [rate.id] });
  add('POST /v1/invoiceitems', 'Stripe.InvoiceItem', item);
  add('POST /v1/invoiceitems (pricing)', 'Stripe.InvoiceItem', await stripe.invoiceItems.create({ customer: customer.id, pricing: { price: oneTime.id }, quantity: 2 }));
  add('POST /v1/invoiceitems/:id', 'Stripe.InvoiceItem', await stripe.invoiceItems.update(item.id, { description: 'Setup fee' }));
  add('GET /v1/invoiceitems/:id', 'Stripe.InvoiceItem', await stripe.invoiceItems.retrieve(item.id));
  add('GET /v1/invoiceitems', 'Stripe.ApiList<Stripe.InvoiceItem>', await stripe.invoiceItems.list({ customer: customer.id }));
  const spare = await stripe.invoiceItems.create({ customer: customer.id, amount: 10, currency: 'jpy' });
  add('DELETE /v1/invoiceitems/:id', 'Stripe.DeletedInvoiceItem', await stripe.invoiceItems.del(spare.id));

  const draft = await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include', auto_advance: true, metadata: { order: '1' } });
  add('POST /v1/invoices', 'Stripe.Invoice', draft);
  add('POST /v1/invoices/:id', 'Stripe.Invoice', await stripe.invoices.update(draft.id, { description: 'One-off', default_tax_rates: [rate.id] }));
  add('POST /v1/invoices/:id/add_lines', 'Stripe.Invoice', await stripe.invoices.addLines(draft.id, { lines: [{ amount: 300, description: 'Travel' }] }));
  add('POST /v1/invoices/:id/finalize (one-off)', 'Stripe.Invoice', await stripe.invoices.finalizeInvoice(draft.id));
  const gone = await stripe.invoices.create({ customer: customer.id });
  add('DELETE /v1/invoices/:id', 'Stripe.DeletedInvoice', await stripe.invoices.del(gone.id));

  const sent = await stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 1 });
  await stripe.invoices.addLines(sent.id, { lines: [{ amount: 100 }] });
  add('POST /v1/invoices/:id/send', 'Stripe.Invoice', await stripe.invoices.sendInvoice(sent.id));
  emu.advance(2 * 86_400);
  add('GET /v1/invoices/:id (one-off, paid)', 'Stripe.Invoice', await stripe.invoices.retrieve(draft.id));
}
