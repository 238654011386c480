// `POST /v1/invoices/create_preview`, through billing/invoice-preview.ts. Parameters Stripe knows
// that are not read here are refused before the handler, as on every route (http/strict-params.ts),
// so that a preview cannot silently differ from Stripe's.
import type Stripe from 'stripe';
import { previewInvoice, unsupportedPreviewParam } from '../billing/invoice-preview.js';
import type { ItemChange } from '../billing/subscriptions.js';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import type { ApiRouter } from '../http/routes.js';
import type { Scope } from '../store/scope.js';

function taxRates(scope: Scope, ids: string[] | undefined, param: string): Stripe.TaxRate[] | undefined {
  return ids?.map((id) => scope.taxRates.require(id, param));
}

export function invoicePreviewRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/invoices/create_preview', [
    'customer', 'preview_mode', 'subscription', 'subscription_details[cancel_at_period_end]',
    'subscription_details[items][deleted]', 'subscription_details[items][id]', 'subscription_details[items][price]',
    'subscription_details[items][quantity]', 'subscription_details[items][tax_rates]',
    'subscription_details[proration_behavior]', 'subscription_details[proration_date]',
  ], ({ scope, p }) => {
    if (p.oneOf('preview_mode', ['next', 'recurring'] as const) === 'recurring') throw unsupportedPreviewParam('preview_mode');
    const details = p.obj('subscription_details');
    const itemParams = details?.list('items');

    const subscriptionId = p.str('subscription');
    if (!subscriptionId) {
      // Without a subscription Stripe previews a new one (from the items) or needs a customer's pending items.
      if (itemParams) throw errors.invalid('The emulator previews changes to an existing subscription only: pass `subscription`.', 'subscription');
      throw errors.missing('subscription');
    }
    const sub = scope.subscriptions.require(subscriptionId, 'subscription');
    const customerId = p.str('customer');
    if (customerId) {
      scope.customers.require(customerId, 'customer');
      if (customerId !== sub.customer) throw errors.invalid(`The subscription ${sub.id} does not belong to the customer ${customerId}.`, 'customer');
    }
    const items: ItemChange[] | undefined = itemParams?.map((it, i) => ({
      id: it.str('id'),
      price: it.str('price') ? scope.prices.require(it.str('price')!, `subscription_details[items][${i}][price]`) : undefined,
      quantity: it.int('quantity'),
      deleted: it.bool('deleted'),
      taxRates: taxRates(scope, it.strings('tax_rates'), `subscription_details[items][${i}][tax_rates]`),
      metadata: it.has('metadata') ? it.metadata() : undefined,
    }));
    const prorationDate = details?.int('proration_date');
    if (prorationDate !== undefined && !items) {
      throw errors.invalid('`subscription_details[proration_date]` needs `subscription_details[items]`.', 'subscription_details[proration_date]');
    }
    return previewInvoice(emu, scope, sub, {
      items,
      prorationBehavior: details?.oneOf('proration_behavior', ['create_prorations', 'always_invoice', 'none'] as const) ?? 'create_prorations',
      prorationDate,
      cancelAtPeriodEnd: details?.bool('cancel_at_period_end'),
    });
  });
}
