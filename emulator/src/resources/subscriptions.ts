// Subscription, subscription item and invoice endpoints: parameter parsing and validation on
// top of the engine in billing/subscriptions.ts.
import type Stripe from 'stripe';
import { payInvoice, cancelSubscription, createSubscription, pauseSubscription, resumeSubscription, updateSubscription, type ItemChange, type ItemInput } from '../billing/subscriptions.js';
import { parseDiscounts } from '../billing/discounts.js';
import { finalizeDraft } from '../billing/invoice-items.js';
import { markUncollectible, voidInvoice } from '../billing/invoices.js';
import { checkMeteredQuantity } from '../billing/usage.js';
import { parseAnchor } from '../billing/anchors.js';
import type { Emulator } from '../emulator.js';
import type { ApiContext } from '../http/context.js';
import { errors } from '../http/errors.js';
import { createdFilter, listOf, pageOf, pageOfArray } from '../http/list.js';
import type { Params } from '../http/params.js';
import type { ApiRouter } from '../http/routes.js';
import type { Scope } from '../store/scope.js';
import { resolvePaymentMethod } from './payment-methods.js';

function taxRates(scope: Scope, ids: string[] | undefined, param: string): Stripe.TaxRate[] | undefined {
  return ids?.map((id) => scope.taxRates.require(id, param));
}

function parseItems(scope: Scope, p: Params): ItemInput[] {
  const items = p.list('items');
  if (!items || items.length === 0) throw errors.missing('items');
  return items.map((it, i) => {
    const price = scope.prices.require(it.reqStr('price'), `items[${i}][price]`);
    checkMeteredQuantity(price, it.int('quantity'), `items[${i}]`);
    return {
      price,
      quantity: it.int('quantity') ?? 1,
      taxRates: taxRates(scope, it.strings('tax_rates'), `items[${i}][tax_rates]`) ?? null,
      metadata: it.metadata(),
    };
  });
}

/** `billing_cycle_anchor[type]` of this API version, or the plain string older clients send. */
function anchorType(p: Params): 'now' | 'unchanged' | undefined {
  return typeof p.value('billing_cycle_anchor') === 'object'
    ? p.obj('billing_cycle_anchor')?.oneOf('type', ['now', 'unchanged'] as const)
    : p.oneOf('billing_cycle_anchor', ['now', 'unchanged'] as const);
}

/**
 * `cancel_at`'s named values: the earliest or latest end of the items' current periods, or the time the
 * subscription is billed until. The emulator's items share one period, so all three are its end.
 */
function namedCancelAt(sub: Pick<Stripe.Subscription, 'items'>, raw: string): number | undefined {
  if (raw !== 'min_period_end' && raw !== 'max_period_end' && raw !== 'max_billed_until') return undefined;
  return Math.max(...sub.items.data.map((i) => i.current_period_end));
}

/** `cancel_at` on creation: a named value ends the first period (as `cancel_at_period_end`); a timestamp is not modelled. */
function createCancelAt(p: Params): boolean {
  const raw = p.str('cancel_at');
  if (raw === undefined || raw === '') return false;
  if (raw === 'min_period_end' || raw === 'max_period_end' || raw === 'max_billed_until') return true;
  throw errors.invalid('The emulator does not model `cancel_at` as a timestamp on creation: create, then update the subscription with it.', 'cancel_at');
}

/** An update's item quantity, refused on a metered price (the new one, else the item's). */
function meteredQuantityCheck(scope: Scope, sub: Stripe.Subscription, it: Params, i: number): number | undefined {
  const quantity = it.int('quantity');
  const priceId = it.str('price') ?? sub.items.data.find((item) => item.id === it.str('id'))?.price.id;
  const price = priceId ? scope.prices.get(priceId) : undefined;
  if (price) checkMeteredQuantity(price, quantity, `items[${i}]`);
  return quantity;
}

/** Stripe allows an application fee only on a connected account's object or with a destination. */
export function applicationFee(ctx: ApiContext, p: Params, destination: string | undefined): number | null {
  const fee = p.num('application_fee_percent');
  if (fee === undefined) return null;
  if (!ctx.account && !destination) {
    throw errors.invalid(
      'Can only apply an application_fee_percent when the request is made on behalf of another account (using an OAuth key, the Stripe-Account header, or the transfer_data[destination] parameter).',
      'application_fee_percent',
    );
  }
  if (fee < 0 || fee > 100) throw errors.invalid('application_fee_percent must be between 0 and 100.', 'application_fee_percent');
  return fee;
}

export function transferData(ctx: ApiContext, p: Params): { destination: string; amount_percent: number | null } | null {
  const td = p.obj('transfer_data');
  if (!td) return null;
  const destination = td.reqStr('destination');
  if (ctx.account) throw errors.invalid('transfer_data cannot be used on a connected account (Stripe-Account).', 'transfer_data[destination]');
  ctx.emu.scopeFor(destination);
  return { destination, amount_percent: td.num('amount_percent') ?? null };
}

function trialEnd(now: number, p: Params, prices: Stripe.Price[]): number | null {
  const raw = p.str('trial_end');
  if (raw === 'now') return null;
  if (raw) {
    const t = p.int('trial_end')!;
    if (t <= now) throw errors.invalid('Invalid timestamp: must be an integer Unix timestamp in the future.', 'trial_end');
    return t;
  }
  const days = p.int('trial_period_days') ?? (p.bool('trial_from_plan') ? prices[0]?.recurring?.trial_period_days : undefined) ?? null;
  return days ? now + days * 86_400 : null;
}

function subscriptionFilter(p: Params): (s: Stripe.Subscription) => boolean {
  const customer = p.str('customer');
  const price = p.str('price');
  const status = p.str('status');
  const created = createdFilter(p);
  // As Stripe: subscriptions on a test clock are listed only when that clock or their customer is asked for.
  const testClock = p.str('test_clock') || null;
  return (s) =>
    (customer ? s.customer === customer : s.test_clock === testClock) &&
    (!testClock || s.test_clock === testClock) &&
    (!price || s.items.data.some((i) => i.price.id === price)) &&
    (status === 'all' ||
      (status === 'ended' ? s.status === 'canceled' || s.status === 'incomplete_expired' : status ? s.status === status : s.status !== 'canceled')) &&
    (!created || created(s.created));
}

export function subscriptionRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/subscriptions', [
    'application_fee_percent', 'billing_cycle_anchor', 'billing_cycle_anchor_config[day_of_month]',
    'billing_cycle_anchor_config[hour]', 'billing_cycle_anchor_config[minute]', 'billing_cycle_anchor_config[month]',
    'billing_cycle_anchor_config[second]', 'cancel_at', 'cancel_at_period_end', 'collection_method', 'customer',
    'default_payment_method', 'default_tax_rates', 'description', 'discounts[coupon]', 'discounts[discount]',
    'discounts[promotion_code]', 'items[metadata]', 'items[price]', 'items[quantity]', 'items[tax_rates]', 'metadata',
    'payment_behavior', 'proration_behavior', 'transfer_data[amount_percent]', 'transfer_data[destination]', 'trial_end',
    'trial_from_plan', 'trial_period_days', 'trial_settings[end_behavior][missing_payment_method]',
  ], (ctx) => {
    const { scope, p } = ctx;
    const customer = scope.customers.require(p.reqStr('customer'), 'customer');
    const items = parseItems(scope, p);
    const collection = p.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const);
    if (collection === 'send_invoice') throw errors.invalid('The emulator supports collection_method=charge_automatically only.', 'collection_method');
    const td = transferData(ctx, p);
    const pm = p.str('default_payment_method');
    // A subscription lives on its customer's test clock (Stripe takes no `test_clock` on it).
    const now = emu.clockOf(scope, customer).now();
    const trial = trialEnd(now, p, items.map((i) => i.price));
    const anchor = parseAnchor(p, now, items[0].price.recurring ?? { interval: 'month', interval_count: 1 });
    if (anchor && trial !== null) throw errors.invalid('The emulator does not model a billing cycle anchor together with a trial.', 'billing_cycle_anchor');
    return createSubscription(emu, scope, {
      anchor,
      prorationBehavior: p.oneOf('proration_behavior', ['create_prorations', 'always_invoice', 'none'] as const),
      customer,
      items,
      paymentBehavior: p.oneOf('payment_behavior', ['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'] as const) ?? 'allow_incomplete',
      defaultPaymentMethod: pm ? resolvePaymentMethod(emu, scope, pm, 'default_payment_method', customer.id) : null,
      trialEnd: trial,
      defaultTaxRates: taxRates(scope, p.strings('default_tax_rates'), 'default_tax_rates') ?? [],
      metadata: p.metadata(),
      description: p.str('description') || null,
      applicationFeePercent: applicationFee(ctx, p, td?.destination),
      transferData: td,
      cancelAtPeriodEnd: p.bool('cancel_at_period_end') ?? createCancelAt(p),
      missingPaymentMethod:
        p.obj('trial_settings')?.obj('end_behavior')?.oneOf('missing_payment_method', ['cancel', 'create_invoice', 'pause'] as const) ?? 'create_invoice',
      announceBeforePayment: false,
      discounts: parseDiscounts(emu, scope, p, 'discounts', {
        customer: customer.id,
        currency: items[0].price.currency,
        amount: items.reduce((sum, i) => sum + (i.price.unit_amount ?? 0) * i.quantity, 0),
      }),
    });
  });
  r.add('GET', '/v1/subscriptions/:id', [], ({ scope, params }) => scope.subscriptions.require(params.id));
  r.add('GET', '/v1/subscriptions', [
    'created', 'created[gt]', 'created[gte]', 'created[lt]', 'created[lte]', 'customer', 'ending_before', 'limit', 'price',
    'starting_after', 'status', 'test_clock',
  ], ({ scope, p }) => pageOf(scope.subscriptions, p, '/v1/subscriptions', subscriptionFilter(p)));
  r.add('POST', '/v1/subscriptions/:id', [
    'application_fee_percent', 'billing_cycle_anchor', 'billing_cycle_anchor[type]', 'cancel_at', 'cancel_at_period_end',
    'cancellation_details[comment]', 'cancellation_details[feedback]', 'default_payment_method', 'default_tax_rates',
    'description', 'discounts[coupon]', 'discounts[discount]', 'discounts[promotion_code]', 'items[deleted]', 'items[id]',
    'items[price]', 'items[quantity]', 'items[tax_rates]', 'metadata', 'pause_collection[behavior]',
    'pause_collection[resumes_at]', 'proration_behavior', 'proration_date', 'trial_end',
  ], (ctx) => {
    const { scope, params, p } = ctx;
    const sub = scope.subscriptions.require(params.id);
    const items: ItemChange[] | undefined = p.list('items')?.map((it, i) => ({
      id: it.str('id'),
      price: it.str('price') ? scope.prices.require(it.str('price')!, `items[${i}][price]`) : undefined,
      quantity: meteredQuantityCheck(scope, sub, it, i),
      deleted: it.bool('deleted'),
      taxRates: taxRates(scope, it.strings('tax_rates'), `items[${i}][tax_rates]`),
      metadata: it.has('metadata') ? it.metadata() : undefined,
    }));
    const pause = p.has('pause_collection') ? p.obj('pause_collection') : undefined;
    const pm = p.has('default_payment_method') ? p.str('default_payment_method') : undefined;
    const cancelAtRaw = p.has('cancel_at') ? p.str('cancel_at') : undefined;
    const details = p.obj('cancellation_details');
    const updated = updateSubscription(emu, scope, sub, {
      items,
      resetAnchor: anchorType(p) === 'now',
      prorationBehavior: p.oneOf('proration_behavior', ['create_prorations', 'always_invoice', 'none'] as const) ?? 'create_prorations',
      prorationDate: p.int('proration_date'),
      cancelAtPeriodEnd: p.bool('cancel_at_period_end'),
      cancelAt: cancelAtRaw === undefined ? undefined : cancelAtRaw === '' ? null : (namedCancelAt(sub, cancelAtRaw) ?? p.int('cancel_at')!),
      metadata: p.has('metadata') ? p.metadata('metadata', sub.metadata) : undefined,
      defaultPaymentMethod: pm === undefined ? undefined : pm ? resolvePaymentMethod(emu, scope, pm, 'default_payment_method', sub.customer as string) : null,
      pauseCollection:
        pause === undefined && !p.has('pause_collection')
          ? undefined
          : pause
            ? { behavior: pause.oneOf('behavior', ['keep_as_draft', 'mark_uncollectible', 'void'] as const) ?? 'void', resumes_at: pause.int('resumes_at') ?? null }
            : null,
      defaultTaxRates: taxRates(scope, p.strings('default_tax_rates'), 'default_tax_rates'),
      description: p.has('description') ? p.str('description') || null : undefined,
      trialEndNow: p.str('trial_end') === 'now',
      applicationFeePercent: p.has('application_fee_percent') ? (p.isEmpty('application_fee_percent') ? null : applicationFee(ctx, p, sub.transfer_data?.destination as string | undefined)) : undefined,
      cancellationDetails: details
        ? { comment: details.str('comment') ?? null, feedback: (details.str('feedback') as Stripe.Subscription.CancellationDetails.Feedback | undefined) ?? null }
        : undefined,
      discounts: parseDiscounts(emu, scope, p, 'discounts', {
        customer: sub.customer as string,
        currency: sub.currency,
        current: sub.discounts.map((d) => (typeof d === 'string' ? d : d.id)),
      }),
    });
    const resumesAt = updated.pause_collection?.resumes_at;
    if (resumesAt) {
      emu.clockOf(scope, sub.customer).schedule(resumesAt, `unpause:${sub.id}`, () => {
        if (sub.pause_collection) updateSubscription(emu, scope, sub, { pauseCollection: null, prorationBehavior: 'none' });
      });
    }
    return updated;
  });
  r.add('DELETE', '/v1/subscriptions/:id', ['invoice_now', 'prorate'], ({ scope, params, p }) => {
    const details = p.obj('cancellation_details');
    return cancelSubscription(emu, scope, scope.subscriptions.require(params.id), {
      invoiceNow: p.bool('invoice_now'),
      prorate: p.bool('prorate'),
      comment: details?.str('comment') ?? null,
      feedback: (details?.str('feedback') as Stripe.Subscription.CancellationDetails.Feedback | undefined) ?? null,
    });
  });
  r.add('POST', '/v1/subscriptions/:id/pause', [], ({ scope, params }) => pauseSubscription(emu, scope, scope.subscriptions.require(params.id)));
  r.add('POST', '/v1/subscriptions/:id/resume', ['billing_cycle_anchor', 'billing_cycle_anchor[type]'], ({ scope, params, p }) => {
    return resumeSubscription(emu, scope, scope.subscriptions.require(params.id), anchorType(p) ?? 'now');
  });
  r.add('GET', '/v1/subscription_items', ['subscription'], ({ scope, p }) => {
    const sub = scope.subscriptions.require(p.reqStr('subscription'), 'subscription');
    return listOf(sub.items.data, `/v1/subscription_items?subscription=${sub.id}`);
  });
  r.add('GET', '/v1/subscription_items/:id', [], ({ scope, params }) => {
    const sub = scope.subscriptions.get(scope.itemOwners.get(params.id) ?? '');
    const item = sub?.items.data.find((i) => i.id === params.id);
    if (!item) throw errors.notFound('subscription_item', params.id);
    return item;
  });

  r.add('GET', '/v1/invoices/:id', [], ({ scope, params }) => scope.invoices.require(params.id));
  r.add('GET', '/v1/invoices', ['created', 'customer', 'ending_before', 'limit', 'starting_after', 'status', 'subscription'], ({ scope, p }) => {
    const customer = p.str('customer');
    const subscription = p.str('subscription');
    const status = p.str('status');
    const created = createdFilter(p);
    return pageOf(
      scope.invoices,
      p,
      '/v1/invoices',
      (i) =>
        (!customer || i.customer === customer) &&
        (!subscription || i.parent?.subscription_details?.subscription === subscription) &&
        (!status || i.status === status) &&
        (!created || created(i.created)),
    );
  });
  r.add('GET', '/v1/invoices/:id/lines', ['ending_before', 'limit', 'starting_after'], ({ scope, params, p }) => {
    const { lines } = scope.invoices.require(params.id);
    return pageOfArray(lines.data, p, lines.url);
  });
  r.add('POST', '/v1/invoices/:id/pay', ['off_session', 'payment_method'], ({ scope, params, p }) => {
    const invoice = scope.invoices.require(params.id);
    // Stripe finalizes a draft before paying it.
    if (invoice.status === 'draft') finalizeDraft(emu, scope, invoice, undefined);
    if (invoice.status === 'paid' && invoice.attempt_count === 0) return invoice;
    const pm = p.str('payment_method');
    const outcome = payInvoice(emu, scope, invoice, pm ? resolvePaymentMethod(emu, scope, pm, 'payment_method', invoice.customer as string) : null, !(p.bool('off_session') ?? true));
    // No `payment_method` in the error: Stripe's is the PaymentMethod object, which the emulator does not model.
    if (outcome.kind === 'declined') throw errors.card(outcome.declineCode, outcome.message);
    if (outcome.kind === 'requires_action') throw errors.card('authentication_required', 'This payment requires authentication.');
    return invoice;
  });
  r.add('POST', '/v1/invoices/:id/finalize', ['auto_advance'], ({ scope, params, p }) => {
    const invoice = scope.invoices.require(params.id);
    finalizeDraft(emu, scope, invoice, p.bool('auto_advance'));
    return invoice;
  });
  r.add('POST', '/v1/invoices/:id/void', [], ({ scope, params }) => {
    const invoice = scope.invoices.require(params.id);
    if (invoice.status !== 'open') throw errors.invalid(`You can only void an open invoice (this one is ${invoice.status}).`);
    voidInvoice(emu, scope, invoice);
    return invoice;
  });
  r.add('POST', '/v1/invoices/:id/mark_uncollectible', [], ({ scope, params }) => {
    const invoice = scope.invoices.require(params.id);
    if (invoice.status !== 'open') throw errors.invalid(`You can only mark an open invoice uncollectible (this one is ${invoice.status}).`);
    markUncollectible(emu, scope, invoice);
    return invoice;
  });
}
