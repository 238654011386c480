// `POST /v1/invoices/create_preview`: parameters checked as Stripe checks them (an unknown one is a
// 400 `parameter_unknown`; one Stripe knows but the emulator does not model is refused by name, never
// ignored, so that a preview cannot silently differ from Stripe's), then billing/invoice-preview.ts.
import type Stripe from 'stripe';
import { previewInvoice, unsupportedPreviewParam } from '../billing/invoice-preview.js';
import type { ItemChange } from '../billing/subscriptions.js';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import type { Params } from '../http/params.js';
import type { ApiRouter } from '../http/routes.js';
import type { Scope } from '../store/scope.js';

// The parameters of InvoiceCreatePreviewParams in the pinned SDK (API 2026-10-28): `supported` are
// modelled; `known` are Stripe's but not modelled.
const TOP = {
  supported: ['customer', 'subscription', 'subscription_details', 'expand', 'preview_mode'],
  known: ['automatic_tax', 'currency', 'customer_account', 'customer_details', 'discounts', 'invoice_items', 'issuer', 'on_behalf_of', 'schedule', 'schedule_details'],
};
const DETAILS = {
  supported: ['items', 'proration_behavior', 'proration_date', 'cancel_at_period_end'],
  known: ['billing_cycle_anchor', 'billing_mode', 'billing_schedules', 'cancel_at', 'cancel_now', 'default_tax_rates', 'metadata', 'pause', 'resume_at', 'start_date', 'trial_end'],
};
const ITEM = {
  supported: ['id', 'price', 'quantity', 'deleted', 'tax_rates', 'metadata'],
  known: ['billing_thresholds', 'clear_usage', 'current_trial', 'discounts', 'plan', 'price_data'],
};

/** Refuses any key of `raw` that is not supported: `parameter_unknown` for what Stripe does not know either. */
function checkKeys(p: Params, prefix: string, allowed: { supported: string[]; known: string[] }): void {
  for (const key of Object.keys(p.raw)) {
    const name = prefix ? `${prefix}[${key}]` : key;
    if (allowed.supported.includes(key)) continue;
    if (allowed.known.includes(key)) throw unsupportedPreviewParam(name);
    throw errors.unknownParam(name);
  }
}

function taxRates(scope: Scope, ids: string[] | undefined, param: string): Stripe.TaxRate[] | undefined {
  return ids?.map((id) => scope.taxRates.require(id, param));
}

export function invoicePreviewRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/invoices/create_preview', ({ scope, p }) => {
    checkKeys(p, '', TOP);
    if (p.oneOf('preview_mode', ['next', 'recurring'] as const) === 'recurring') throw unsupportedPreviewParam('preview_mode');
    const details = p.obj('subscription_details');
    if (details) checkKeys(details, 'subscription_details', DETAILS);
    const itemParams = details?.list('items');
    itemParams?.forEach((it, i) => checkKeys(it, `subscription_details[items][${i}]`, ITEM));

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
