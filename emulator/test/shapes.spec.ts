// Every kind of answer the emulator gives (objects, expanded objects, lists, deleted stubs,
// errors, and every event with its `data.object`), checked against the `stripe` package's own
// TypeScript types, which are generated from Stripe's OpenAPI for the API version the SDK pins
// (see shape-check.ts). A difference fails the test unless shapes.accepted.ts lists it with its
// reason; a listed difference that no longer occurs fails it too, so the list stays true.
import Stripe from 'stripe';
import { ACCEPTED, type Accepted } from './shapes.accepted.js';
import { checkShapes, type Finding, type Sample } from './shape-check.js';
import { catalog, control, DAY, harness, HOUR, type Harness } from './helpers.js';
import { discountSamples } from './shapes.discounts.js';
import { invoiceItemSamples } from './shapes.invoice-items.js';
import { scheduleSamples } from './shapes.schedules.js';

/** `customer.subscription.updated` → `Stripe.CustomerSubscriptionUpdatedEvent`, the SDK's type of that event. */
function eventTypeName(type: string): string {
  // The SDK spells the `invoiceitem.*` events' types `InvoiceItem…`.
  return `Stripe.${type
    .replace(/^invoiceitem\./, 'invoice_item.')
    .split(/[._]/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')}Event`;
}

/** What went over the wire: the SDK's non-enumerable `lastResponse` dropped, its Decimals back to strings. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** The body of a Stripe error, without what the SDK adds to it (`headers`, `statusCode`, `requestId`). */
async function errorOf(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (e) {
    if (!(e instanceof Stripe.errors.StripeError)) throw e;
    const { headers: _h, statusCode: _s, requestId: _r, ...body } = e.raw as Record<string, unknown>;
    return body;
  }
  throw new Error('expected the call to fail');
}

describe('answers match the SDK types of the pinned API version', () => {
  let h: Harness;
  const samples: Sample[] = [];
  let findings: Finding[] = [];

  beforeAll(async () => {
    h = await harness();
    const { stripe, emu, receiver } = h;
    const add = (label: string, type: string, value: unknown) => samples.push({ label, type, value: wire(value) });

    // Connect accounts.
    const acct = await stripe.accounts.create({ type: 'standard', email: 'merchant@example.com' });
    add('POST /v1/accounts', 'Stripe.Account', acct);
    add('GET /v1/accounts/:id', 'Stripe.Account', await stripe.accounts.retrieve(acct.id));
    add('GET /v1/account', 'Stripe.Account', await stripe.accounts.retrieveCurrent());
    add('GET /v1/accounts', 'Stripe.ApiList<Stripe.Account>', await stripe.accounts.list());
    add('POST /_emulator/accounts', 'Stripe.Account', (await control(emu, 'POST', '/_emulator/accounts', { id: 'acct_shapeControl' })).body);
    const gone = await stripe.accounts.create({ type: 'express' });
    add('DELETE /v1/accounts/:id', 'Stripe.DeletedAccount', await stripe.accounts.del(gone.id));

    // Catalog.
    const product = await stripe.products.create({ name: 'Pro plan', description: 'All of it', default_price_data: { currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month' } } });
    add('POST /v1/products', 'Stripe.Product', product);
    add('POST /v1/products/:id', 'Stripe.Product', await stripe.products.update(product.id, { metadata: { tier: 'pro' }, url: 'https://x.example' }));
    add('GET /v1/products/:id?expand[]=default_price', 'Stripe.Product', await stripe.products.retrieve(product.id, { expand: ['default_price'] }));
    add('GET /v1/products', 'Stripe.ApiList<Stripe.Product>', await stripe.products.list({ limit: 3 }));
    const lonely = await stripe.products.create({ name: 'Unused' });
    add('DELETE /v1/products/:id', 'Stripe.DeletedProduct', await stripe.products.del(lonely.id));

    const price = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 2000, recurring: { interval: 'month' }, lookup_key: 'pro_monthly', tax_behavior: 'exclusive' });
    add('POST /v1/prices', 'Stripe.Price', price);
    const yearly = await stripe.prices.create({ product_data: { name: 'Yearly plan' }, currency: 'jpy', unit_amount: 20000, recurring: { interval: 'year' } });
    add('POST /v1/prices (product_data)', 'Stripe.Price', yearly);
    const premium = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 3000, recurring: { interval: 'month' } });
    add('POST /v1/prices (one time)', 'Stripe.Price', await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 300 }));
    add('POST /v1/prices/:id', 'Stripe.Price', await stripe.prices.update(price.id, { nickname: 'Pro monthly', metadata: { a: 'b' } }));
    add('GET /v1/prices/:id?expand[]=product', 'Stripe.Price', await stripe.prices.retrieve(price.id, { expand: ['product'] }));
    add('GET /v1/prices', 'Stripe.ApiList<Stripe.Price>', await stripe.prices.list({ limit: 3 }));

    // Plans: the old API over recurring prices.
    const plan = await stripe.plans.create({ currency: 'jpy', interval: 'month', amount: 1500, product: { name: 'Legacy plan' }, nickname: 'legacy' });
    add('POST /v1/plans', 'Stripe.Plan', plan);
    add('POST /v1/plans/:id', 'Stripe.Plan', await stripe.plans.update(plan.id, { metadata: { old: 'yes' }, trial_period_days: 7 }));
    add('GET /v1/plans/:id?expand[]=product', 'Stripe.Plan', await stripe.plans.retrieve(plan.id, { expand: ['product'] }));
    add('GET /v1/plans', 'Stripe.ApiList<Stripe.Plan>', await stripe.plans.list({ limit: 3 }));
    add('DELETE /v1/plans/:id', 'Stripe.DeletedPlan', await stripe.plans.del(plan.id));

    const rate = await stripe.taxRates.create({ display_name: 'JCT', percentage: 10, inclusive: false, country: 'JP' });
    add('POST /v1/tax_rates', 'Stripe.TaxRate', rate);
    const inclusive = await stripe.taxRates.create({ display_name: 'JCT incl.', percentage: 10, inclusive: true });
    add('POST /v1/tax_rates/:id', 'Stripe.TaxRate', await stripe.taxRates.update(inclusive.id, { description: 'inclusive' }));
    add('GET /v1/tax_rates', 'Stripe.ApiList<Stripe.TaxRate>', await stripe.taxRates.list());

    // Entitlements.
    const feature = await stripe.entitlements.features.create({ name: 'Reports', lookup_key: 'reports', metadata: { x: 'y' } });
    add('POST /v1/entitlements/features', 'Stripe.Entitlements.Feature', feature);
    add('POST /v1/entitlements/features/:id', 'Stripe.Entitlements.Feature', await stripe.entitlements.features.update(feature.id, { name: 'Reports+' }));
    add('GET /v1/entitlements/features', 'Stripe.ApiList<Stripe.Entitlements.Feature>', await stripe.entitlements.features.list());
    const productFeature = await stripe.products.createFeature(product.id, { entitlement_feature: feature.id });
    add('POST /v1/products/:id/features', 'Stripe.ProductFeature', productFeature);
    add('GET /v1/products/:id/features/:id', 'Stripe.ProductFeature', await stripe.products.retrieveFeature(product.id, productFeature.id));
    add('GET /v1/products/:id/features', 'Stripe.ApiList<Stripe.ProductFeature>', await stripe.products.listFeatures(product.id));
    const spare = await stripe.entitlements.features.create({ name: 'Spare', lookup_key: 'spare' });
    const spareLink = await stripe.products.createFeature(product.id, { entitlement_feature: spare.id });
    add('DELETE /v1/products/:id/features/:id', 'Stripe.DeletedProductFeature', await stripe.products.deleteFeature(product.id, spareLink.id));

    // Customers.
    const customer = await stripe.customers.create({
      email: 'shape@example.com',
      name: 'Shape',
      preferred_locales: ['ja'],
      address: { country: 'JP', postal_code: '100-0001' },
      metadata: { account_id: 'acc_1' },
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    add('POST /v1/customers', 'Stripe.Customer', customer);
    add('POST /v1/customers/:id', 'Stripe.Customer', await stripe.customers.update(customer.id, { phone: '+81 3 0000 0000', description: 'shape check' }));
    add('GET /v1/customers/:id', 'Stripe.Customer', await stripe.customers.retrieve(customer.id));
    add('GET /v1/customers', 'Stripe.ApiList<Stripe.Customer>', await stripe.customers.list({ limit: 3 }));
    const leaving = await stripe.customers.create({ email: 'leaving@example.com' });
    add('DELETE /v1/customers/:id', 'Stripe.DeletedCustomer', await stripe.customers.del(leaving.id));
    add('GET /v1/customers/:id (deleted)', 'Stripe.DeletedCustomer', await stripe.customers.retrieve(leaving.id));

    // Subscriptions, their items and invoices.
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id, quantity: 2, tax_rates: [inclusive.id] }],
      default_tax_rates: [rate.id],
      metadata: { account_id: 'acc_1' },
      description: 'shape',
    });
    add('POST /v1/subscriptions', 'Stripe.Subscription', sub);
    add(
      'GET /v1/subscriptions/:id?expand[]=customer,latest_invoice,items.data.price.product,default_payment_method',
      'Stripe.Subscription',
      await stripe.subscriptions.retrieve(sub.id, { expand: ['customer', 'latest_invoice', 'items.data.price.product', 'default_payment_method'] }),
    );
    const item = sub.items.data[0];
    add('POST /v1/subscriptions/:id (quantity, prorations)', 'Stripe.Subscription', await stripe.subscriptions.update(sub.id, { items: [{ id: item.id, quantity: 3 }], proration_behavior: 'create_prorations' }));
    add('POST /v1/subscriptions/:id (upgrade, always_invoice)', 'Stripe.Subscription', await stripe.subscriptions.update(sub.id, { items: [{ id: item.id, price: premium.id }], proration_behavior: 'always_invoice' }));
    add('POST /v1/subscriptions/:id (cancel_at_period_end)', 'Stripe.Subscription', await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true, cancellation_details: { comment: 'too expensive', feedback: 'too_expensive' } }));
    add('POST /v1/subscriptions/:id (pause_collection)', 'Stripe.Subscription', await stripe.subscriptions.update(sub.id, { cancel_at_period_end: false, pause_collection: { behavior: 'keep_as_draft' } }));
    // Invoice previews of a change: the next invoice (prorations carried to it), and the one an immediate change creates.
    add(
      'POST /v1/invoices/create_preview (next invoice)',
      'Stripe.Invoice',
      await stripe.invoices.createPreview({ customer: customer.id, subscription: sub.id, subscription_details: { items: [{ id: item.id, quantity: 4 }], proration_behavior: 'create_prorations', proration_date: emu.now() } }),
    );
    add(
      'POST /v1/invoices/create_preview (always_invoice)',
      'Stripe.Invoice',
      await stripe.invoices.createPreview({ subscription: sub.id, subscription_details: { items: [{ id: item.id, price: price.id }], proration_behavior: 'always_invoice' }, expand: ['customer'] }),
    );
    add('GET /v1/subscription_items', 'Stripe.ApiList<Stripe.SubscriptionItem>', await stripe.subscriptionItems.list({ subscription: sub.id }));
    add('GET /v1/subscription_items/:id', 'Stripe.SubscriptionItem', await stripe.subscriptionItems.retrieve(item.id));

    const trialing = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 2 });
    add('POST /v1/subscriptions (trial)', 'Stripe.Subscription', trialing);
    add('POST /v1/subscriptions/:id/pause', 'Stripe.Subscription', await stripe.subscriptions.pause(trialing.id));
    add('POST /v1/subscriptions/:id/resume', 'Stripe.Subscription', await stripe.subscriptions.resume(trialing.id, { billing_cycle_anchor: { type: 'unchanged' } }));

    const declining = await stripe.customers.create({ email: 'declined@example.com', invoice_settings: { default_payment_method: 'pm_card_chargeDeclined' } });
    const incomplete = await stripe.subscriptions.create({ customer: declining.id, items: [{ price: price.id }] });
    add('POST /v1/subscriptions (incomplete)', 'Stripe.Subscription', incomplete);
    const open = incomplete.latest_invoice as string;
    add('POST /v1/invoices/:id/pay (declined)', 'Stripe.StripeRawError', await errorOf(stripe.invoices.pay(open, { payment_method: 'pm_card_chargeDeclinedInsufficientFunds' })));
    add('POST /v1/invoices/:id/void', 'Stripe.Invoice', await stripe.invoices.voidInvoice(open));
    const incomplete2 = await stripe.subscriptions.create({ customer: declining.id, items: [{ price: price.id }] });
    add('POST /v1/invoices/:id/mark_uncollectible', 'Stripe.Invoice', await stripe.invoices.markUncollectible(incomplete2.latest_invoice as string));
    const needs3ds = await stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_authenticationRequired' } });
    add('POST /v1/subscriptions (requires action)', 'Stripe.Subscription', await stripe.subscriptions.create({ customer: needs3ds.id, items: [{ price: price.id }] }));
    const waiting = await stripe.subscriptions.create({ customer: declining.id, items: [{ price: price.id }], payment_behavior: 'default_incomplete' });
    add('POST /v1/invoices/:id/pay', 'Stripe.Invoice', await stripe.invoices.pay(waiting.latest_invoice as string, { payment_method: 'pm_card_visa' }));

    const ending = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: yearly.id }] });
    add('DELETE /v1/subscriptions/:id', 'Stripe.Subscription', await stripe.subscriptions.cancel(ending.id, { invoice_now: true, prorate: true }));
    add('GET /v1/subscriptions?status=all&expand[]=data.customer', 'Stripe.ApiList<Stripe.Subscription>', await stripe.subscriptions.list({ status: 'all', limit: 3, expand: ['data.customer'] }));

    const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string);
    add('GET /v1/invoices/:id', 'Stripe.Invoice', invoice);
    add('GET /v1/invoices/:id?expand[]=customer', 'Stripe.Invoice', await stripe.invoices.retrieve(invoice.id, { expand: ['customer'] }));
    add('GET /v1/invoices', 'Stripe.ApiList<Stripe.Invoice>', await stripe.invoices.list({ customer: customer.id, limit: 3 }));
    add('GET /v1/invoices/:id/lines', 'Stripe.ApiList<Stripe.InvoiceLineItem>', await stripe.invoices.listLineItems(invoice.id));

    // Billing meters, meter events and a subscription of a fixed and a metered price (billed a month on, below).
    const meter = await stripe.billing.meters.create({ display_name: 'API calls', event_name: 'shape_api_calls', default_aggregation: { formula: 'sum' }, value_settings: { event_payload_key: 'value' } });
    add('POST /v1/billing/meters', 'Stripe.Billing.Meter', meter);
    add('POST /v1/billing/meters/:id', 'Stripe.Billing.Meter', await stripe.billing.meters.update(meter.id, { display_name: 'Calls' }));
    add('GET /v1/billing/meters/:id', 'Stripe.Billing.Meter', await stripe.billing.meters.retrieve(meter.id));
    add('GET /v1/billing/meters', 'Stripe.ApiList<Stripe.Billing.Meter>', await stripe.billing.meters.list());
    add('POST /v1/billing/meters/:id/deactivate', 'Stripe.Billing.Meter', await stripe.billing.meters.deactivate(meter.id));
    add('POST /v1/billing/meters/:id/reactivate', 'Stripe.Billing.Meter', await stripe.billing.meters.reactivate(meter.id));
    const meteredPrice = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 10, recurring: { interval: 'month', usage_type: 'metered', meter: meter.id } });
    add('POST /v1/prices (metered)', 'Stripe.Price', meteredPrice);
    const meteredSub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }, { price: meteredPrice.id }] });
    add('POST /v1/subscriptions (fixed + metered)', 'Stripe.Subscription', meteredSub);
    add('POST /v1/billing/meter_events', 'Stripe.Billing.MeterEvent', await stripe.billing.meterEvents.create({ event_name: meter.event_name, payload: { stripe_customer_id: customer.id, value: '42' }, identifier: 'shape-usage-1' }));
    const usageWindow = { customer: customer.id, start_time: Math.floor(emu.now() / HOUR) * HOUR, end_time: Math.floor(emu.now() / HOUR) * HOUR + 2 * HOUR };
    add('GET /v1/billing/meters/:id/event_summaries', 'Stripe.ApiList<Stripe.Billing.MeterEventSummary>', await stripe.billing.meters.listEventSummaries(meter.id, usageWindow));
    add('GET /v1/billing/meters/:id/event_summaries (hourly)', 'Stripe.ApiList<Stripe.Billing.MeterEventSummary>', await stripe.billing.meters.listEventSummaries(meter.id, { ...usageWindow, value_grouping_window: 'hour' }));
    add('POST /v1/invoices/create_preview (usage so far)', 'Stripe.Invoice', await stripe.invoices.createPreview({ subscription: meteredSub.id }));
    // Billing cycle anchors and cancel_at.
    const anchored = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], billing_cycle_anchor_config: { day_of_month: 1, hour: 0 } });
    add('POST /v1/subscriptions (billing_cycle_anchor_config)', 'Stripe.Subscription', anchored);
    add('GET /v1/invoices/:id (prorated first period)', 'Stripe.Invoice', await stripe.invoices.retrieve(anchored.latest_invoice as string));
    add('POST /v1/subscriptions/:id (billing_cycle_anchor now)', 'Stripe.Subscription', await stripe.subscriptions.update(anchored.id, { billing_cycle_anchor: { type: 'now' } }));
    add('POST /v1/subscriptions/:id (cancel_at mid-period)', 'Stripe.Subscription', await stripe.subscriptions.update(anchored.id, { cancel_at: emu.now() + 3 * DAY, proration_behavior: 'always_invoice' }));
    add('POST /v1/subscriptions/:id (cancel_at=min_period_end)', 'Stripe.Subscription', await stripe.subscriptions.update(meteredSub.id, { cancel_at: 'min_period_end' }));
    await stripe.subscriptions.update(meteredSub.id, { cancel_at: '' });

    // Incomplete subscriptions expire after 23 h; a month on, renewals (one kept as a draft), trial ends, retries.
    emu.advance(23 * HOUR + 1);
    emu.advance(35 * DAY);
    const usageInvoice = await stripe.invoices.retrieve((await stripe.subscriptions.retrieve(meteredSub.id)).latest_invoice as string);
    expect(usageInvoice.lines.data.map((l) => l.amount)).toContain(420);
    add('GET /v1/invoices/:id (renewal with usage)', 'Stripe.Invoice', usageInvoice);
    const drafts = await stripe.invoices.list({ subscription: sub.id, status: 'draft' });
    add('GET /v1/invoices?status=draft', 'Stripe.ApiList<Stripe.Invoice>', drafts);
    // The renewal of the subscription whose collection is paused (keep_as_draft) waits as a draft.
    expect(drafts.data).toHaveLength(1);
    add('POST /v1/invoices/:id/finalize', 'Stripe.Invoice', await stripe.invoices.finalizeInvoice(drafts.data[0].id));

    // Checkout and the billing portal.
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: price.id, quantity: 2 }],
      client_reference_id: 'acc_1',
      metadata: { account_id: 'acc_1' },
      subscription_data: { metadata: { account_id: 'acc_1' }, trial_period_days: 3 },
      success_url: 'https://x.example/ok',
      cancel_url: 'https://x.example/cancel',
    });
    add('POST /v1/checkout/sessions', 'Stripe.Checkout.Session', session);
    add('GET /v1/checkout/sessions/:id/line_items', 'Stripe.ApiList<Stripe.LineItem>', await stripe.checkout.sessions.listLineItems(session.id));
    const hostedPay = await control(emu, 'POST', `/checkout/${session.id}/pay`, { card: '4242424242424242' });
    expect(hostedPay.status).toBe(200);
    add('POST /checkout/:id/pay (hosted page, JSON) → session', 'Stripe.Checkout.Session', hostedPay.body.session);
    add(
      'GET /v1/checkout/sessions/:id?expand[]=line_items,subscription',
      'Stripe.Checkout.Session',
      await stripe.checkout.sessions.retrieve(session.id, { expand: ['line_items', 'subscription'] }),
    );
    const byEmail = await stripe.checkout.sessions.create({ mode: 'subscription', customer_email: 'new@example.com', line_items: [{ price: price.id }], success_url: 'https://x.example/ok' });
    add('POST /v1/checkout/sessions (customer_email)', 'Stripe.Checkout.Session', byEmail);
    add('POST /v1/checkout/sessions/:id/expire', 'Stripe.Checkout.Session', await stripe.checkout.sessions.expire(byEmail.id));
    const paymentSession = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'jpy', unit_amount: 500, product_data: { name: 'One-off' } }, quantity: 2 }],
      customer_creation: 'always',
      payment_intent_data: { metadata: { order: 'o2' } },
      success_url: 'https://x.example/ok',
    });
    add('POST /v1/checkout/sessions (mode=payment)', 'Stripe.Checkout.Session', paymentSession);
    add('POST /checkout/:id/pay (mode=payment) → session', 'Stripe.Checkout.Session', (await control(emu, 'POST', `/checkout/${paymentSession.id}/pay`, { card: '4242424242424242', email: 'one@example.com' })).body.session);
    add('GET /v1/checkout/sessions/:id?expand[]=payment_intent', 'Stripe.Checkout.Session', await stripe.checkout.sessions.retrieve(paymentSession.id, { expand: ['payment_intent'] }));
    const setupSession = await stripe.checkout.sessions.create({ mode: 'setup', customer: customer.id, currency: 'jpy', success_url: 'https://x.example/ok' });
    add('POST /v1/checkout/sessions (mode=setup)', 'Stripe.Checkout.Session', setupSession);
    await control(emu, 'POST', `/checkout/${setupSession.id}/pay`, { card: '4242424242424242' });
    add('GET /v1/checkout/sessions/:id?expand[]=setup_intent', 'Stripe.Checkout.Session', await stripe.checkout.sessions.retrieve(setupSession.id, { expand: ['setup_intent'] }));
    add('GET /v1/checkout/sessions', 'Stripe.ApiList<Stripe.Checkout.Session>', await stripe.checkout.sessions.list({ limit: 3 }));
    add('POST /v1/billing_portal/sessions', 'Stripe.BillingPortal.Session', await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://x.example' }));
    const portalConfig = await stripe.billingPortal.configurations.create({
      business_profile: { headline: 'Manage your plan', privacy_policy_url: 'https://x.example/privacy' },
      features: { subscription_cancel: { enabled: true, mode: 'immediately', cancellation_reason: { enabled: true, options: ['too_expensive', 'other'] } }, customer_update: { enabled: true, allowed_updates: ['email'] } },
      default_return_url: 'https://x.example/back',
    });
    add('POST /v1/billing_portal/configurations', 'Stripe.BillingPortal.Configuration', portalConfig);
    add('POST /v1/billing_portal/configurations/:id', 'Stripe.BillingPortal.Configuration', await stripe.billingPortal.configurations.update(portalConfig.id, { metadata: { v: '2' }, features: { subscription_update: { enabled: false } } }));
    add('GET /v1/billing_portal/configurations/:id', 'Stripe.BillingPortal.Configuration', await stripe.billingPortal.configurations.retrieve(portalConfig.id));
    add('GET /v1/billing_portal/configurations', 'Stripe.ApiList<Stripe.BillingPortal.Configuration>', await stripe.billingPortal.configurations.list());
    add('POST /v1/billing_portal/sessions (configuration)', 'Stripe.BillingPortal.Session', await stripe.billingPortal.sessions.create({ customer: customer.id, configuration: portalConfig.id }));
    add('GET /v1/entitlements/active_entitlements', 'Stripe.ApiList<Stripe.Entitlements.ActiveEntitlement>', await stripe.entitlements.activeEntitlements.list({ customer: customer.id }));
    const active = (await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data[0];
    add('GET /v1/entitlements/active_entitlements/:id', 'Stripe.Entitlements.ActiveEntitlement', await stripe.entitlements.activeEntitlements.retrieve(active.id));

    await discountSamples(stripe, emu, add, errorOf);
    await invoiceItemSamples(stripe, emu, add);
    await scheduleSamples(stripe, emu, add);

    // Webhook endpoints and test clocks.
    const endpoint = await stripe.webhookEndpoints.create({ url: 'https://x.example/hook', enabled_events: ['invoice.paid'], description: 'shape' });
    add('POST /v1/webhook_endpoints', 'Stripe.WebhookEndpoint', endpoint);
    add('POST /v1/webhook_endpoints/:id', 'Stripe.WebhookEndpoint', await stripe.webhookEndpoints.update(endpoint.id, { disabled: true }));
    add('GET /v1/webhook_endpoints/:id', 'Stripe.WebhookEndpoint', await stripe.webhookEndpoints.retrieve(endpoint.id));
    add('GET /v1/webhook_endpoints', 'Stripe.ApiList<Stripe.WebhookEndpoint>', await stripe.webhookEndpoints.list());
    add('DELETE /v1/webhook_endpoints/:id', 'Stripe.DeletedWebhookEndpoint', await stripe.webhookEndpoints.del(endpoint.id));
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: emu.now(), name: 'shape' });
    add('POST /v1/test_helpers/test_clocks', 'Stripe.TestHelpers.TestClock', clock);
    add('POST /v1/test_helpers/test_clocks/:id/advance', 'Stripe.TestHelpers.TestClock', await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: emu.now() + HOUR }));
    add('GET /v1/test_helpers/test_clocks/:id', 'Stripe.TestHelpers.TestClock', await stripe.testHelpers.testClocks.retrieve(clock.id));
    add('GET /v1/test_helpers/test_clocks', 'Stripe.ApiList<Stripe.TestHelpers.TestClock>', await stripe.testHelpers.testClocks.list());
    add('DELETE /v1/test_helpers/test_clocks/:id', 'Stripe.TestHelpers.DeletedTestClock', await stripe.testHelpers.testClocks.del(clock.id));

    // Payment methods, payment intents, charges, refunds, setup intents, invoice payments.
    const payer = await stripe.customers.create({ email: 'payer@example.com' });
    const pm = await stripe.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: 2034 }, billing_details: { name: 'Payer' } });
    add('POST /v1/payment_methods', 'Stripe.PaymentMethod', pm);
    add('POST /v1/payment_methods (card[token])', 'Stripe.PaymentMethod', await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } }));
    add('POST /v1/payment_methods/:id/attach', 'Stripe.PaymentMethod', await stripe.paymentMethods.attach(pm.id, { customer: payer.id }));
    add('POST /v1/payment_methods/:id', 'Stripe.PaymentMethod', await stripe.paymentMethods.update(pm.id, { metadata: { k: 'v' } }));
    add('GET /v1/payment_methods/:id?expand[]=customer', 'Stripe.PaymentMethod', await stripe.paymentMethods.retrieve(pm.id, { expand: ['customer'] }));
    add('GET /v1/payment_methods', 'Stripe.ApiList<Stripe.PaymentMethod>', await stripe.paymentMethods.list({ customer: payer.id }));
    add('GET /v1/customers/:id/payment_methods', 'Stripe.ApiList<Stripe.PaymentMethod>', await stripe.customers.listPaymentMethods(payer.id));
    add('GET /v1/customers/:id/payment_methods/:id', 'Stripe.PaymentMethod', await stripe.customers.retrievePaymentMethod(payer.id, pm.id));
    const spareCard = await stripe.paymentMethods.attach('pm_card_mastercard', { customer: payer.id });
    add('POST /v1/payment_methods/:id/detach', 'Stripe.PaymentMethod', await stripe.paymentMethods.detach(spareCard.id));

    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'jpy', customer: payer.id, metadata: { order: 'o1' } });
    add('POST /v1/payment_intents', 'Stripe.PaymentIntent', intent);
    add('POST /v1/payment_intents/:id', 'Stripe.PaymentIntent', await stripe.paymentIntents.update(intent.id, { description: 'order o1', payment_method: pm.id }));
    const paidIntent = await stripe.paymentIntents.confirm(intent.id);
    add('POST /v1/payment_intents/:id/confirm', 'Stripe.PaymentIntent', paidIntent);
    add('GET /v1/payment_intents/:id?expand[]=latest_charge,payment_method', 'Stripe.PaymentIntent', await stripe.paymentIntents.retrieve(intent.id, { expand: ['latest_charge', 'payment_method'] }));
    add('GET /v1/payment_intents', 'Stripe.ApiList<Stripe.PaymentIntent>', await stripe.paymentIntents.list({ customer: payer.id }));
    const charge = await stripe.charges.retrieve(paidIntent.latest_charge as string);
    add('GET /v1/charges/:id', 'Stripe.Charge', charge);
    add('POST /v1/charges/:id', 'Stripe.Charge', await stripe.charges.update(charge.id, { metadata: { note: 'n' } }));
    add('GET /v1/charges', 'Stripe.ApiList<Stripe.Charge>', await stripe.charges.list({ customer: payer.id }));
    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 400, reason: 'requested_by_customer' });
    add('POST /v1/refunds', 'Stripe.Refund', refund);
    add('POST /v1/refunds/:id', 'Stripe.Refund', await stripe.refunds.update(refund.id, { metadata: { why: 'x' } }));
    add('GET /v1/refunds/:id', 'Stripe.Refund', await stripe.refunds.retrieve(refund.id));
    add('GET /v1/refunds', 'Stripe.ApiList<Stripe.Refund>', await stripe.refunds.list({ charge: charge.id }));
    add('402 card_error (payment intent)', 'Stripe.StripeRawError', await errorOf(stripe.paymentIntents.create({ amount: 500, currency: 'jpy', payment_method: 'pm_card_chargeDeclined', confirm: true })));
    const threeDs = await stripe.paymentIntents.create({ amount: 500, currency: 'jpy', payment_method: 'pm_card_threeDSecure2Required', confirm: true, return_url: 'https://x.example/back' });
    add('POST /v1/payment_intents (requires_action, redirect_to_url)', 'Stripe.PaymentIntent', threeDs);
    add('POST /authenticate/:id (hosted page, JSON) → payment intent', 'Stripe.PaymentIntent', (await control(emu, 'POST', `/authenticate/${threeDs.id}`, { result: 'success' })).body);
    const sdkAction = await stripe.paymentIntents.create({ amount: 500, currency: 'jpy', payment_method: 'pm_card_authenticationRequired', confirm: true });
    add('POST /v1/payment_intents (requires_action, use_stripe_sdk)', 'Stripe.PaymentIntent', sdkAction);
    add('POST /authenticate/:id (failed) → error', 'Stripe.StripeRawError', (await control(emu, 'POST', `/authenticate/${sdkAction.id}`, { result: 'fail' })).body.error);
    const held = await stripe.paymentIntents.create({ amount: 800, currency: 'jpy', payment_method: 'pm_card_visa', capture_method: 'manual', confirm: true, allowed_payment_method_types: ['card'] });
    add('POST /v1/payment_intents/:id/capture', 'Stripe.PaymentIntent', await stripe.paymentIntents.capture(held.id, { amount_to_capture: 600 }));
    const dropped = await stripe.paymentIntents.create({ amount: 800, currency: 'jpy' });
    add('POST /v1/payment_intents/:id/cancel', 'Stripe.PaymentIntent', await stripe.paymentIntents.cancel(dropped.id, { cancellation_reason: 'abandoned' }));

    const setup = await stripe.setupIntents.create({ customer: payer.id, metadata: { s: '1' } });
    add('POST /v1/setup_intents', 'Stripe.SetupIntent', setup);
    add('POST /v1/setup_intents/:id', 'Stripe.SetupIntent', await stripe.setupIntents.update(setup.id, { description: 'save a card' }));
    const setupAction = await stripe.setupIntents.confirm(setup.id, { payment_method: 'pm_card_authenticationRequiredOnSetup', return_url: 'https://x.example/back' });
    add('POST /v1/setup_intents/:id/confirm (requires_action)', 'Stripe.SetupIntent', setupAction);
    add('POST /authenticate/:id (hosted page, JSON) → setup intent', 'Stripe.SetupIntent', (await control(emu, 'POST', `/authenticate/${setup.id}`, { result: 'success' })).body);
    add('GET /v1/setup_intents/:id', 'Stripe.SetupIntent', await stripe.setupIntents.retrieve(setup.id));
    add('GET /v1/setup_intents', 'Stripe.ApiList<Stripe.SetupIntent>', await stripe.setupIntents.list({ customer: payer.id }));
    add('402 card_error (setup intent)', 'Stripe.StripeRawError', await errorOf(stripe.setupIntents.create({ customer: payer.id, payment_method: 'pm_card_chargeDeclined', confirm: true })));
    const abandoned = await stripe.setupIntents.create({ customer: payer.id, payment_method: 'pm_card_visa' });
    add('POST /v1/setup_intents/:id/cancel', 'Stripe.SetupIntent', await stripe.setupIntents.cancel(abandoned.id));

    const clientFlow = await stripe.subscriptions.create({ customer: payer.id, items: [{ price: price.id }], payment_behavior: 'default_incomplete', expand: ['latest_invoice.confirmation_secret', 'latest_invoice.payments'] });
    add('POST /v1/subscriptions (default_incomplete, expand latest_invoice.confirmation_secret,payments)', 'Stripe.Subscription', clientFlow);
    const clientInvoice = clientFlow.latest_invoice as Stripe.Invoice;
    await stripe.paymentIntents.confirm(clientInvoice.confirmation_secret!.client_secret.split('_secret_')[0], { payment_method: 'pm_card_visa' });
    add('GET /v1/invoices/:id?expand[]=payments.data.payment.payment_intent', 'Stripe.Invoice', await stripe.invoices.retrieve(clientInvoice.id, { expand: ['payments.data.payment.payment_intent', 'confirmation_secret'] }));
    const invoicePayments = await stripe.invoicePayments.list({ invoice: clientInvoice.id });
    add('GET /v1/invoice_payments', 'Stripe.ApiList<Stripe.InvoicePayment>', invoicePayments);
    add('GET /v1/invoice_payments/:id', 'Stripe.InvoicePayment', await stripe.invoicePayments.retrieve(invoicePayments.data[0].id));

    // A connected account's objects and events, then its deauthorization.
    const onAcct = { stripeAccount: acct.id };
    const direct = await stripe.customers.create({ email: 'direct@example.com', invoice_settings: { default_payment_method: 'pm_card_visa' } }, onAcct);
    const { price: acctPrice } = await catalog(stripe, { account: acct.id, feature: 'direct_feature' });
    add('POST /v1/subscriptions (Stripe-Account, application fee)', 'Stripe.Subscription', await stripe.subscriptions.create({ customer: direct.id, items: [{ price: acctPrice.id }], application_fee_percent: 10 }, onAcct));
    add('POST /v1/subscriptions (transfer_data)', 'Stripe.Subscription', await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], transfer_data: { destination: acct.id, amount_percent: 90 } }));
    expect((await control(emu, 'POST', `/_emulator/accounts/${acct.id}/deauthorize`)).status).toBe(200);

    // Errors.
    add('404 resource_missing', 'Stripe.StripeRawError', await errorOf(stripe.customers.retrieve('cus_missing')));
    add('400 parameter_missing', 'Stripe.StripeRawError', await errorOf(stripe.subscriptions.create({ customer: customer.id } as Stripe.SubscriptionCreateParams)));
    add('400 parameter_unknown', 'Stripe.StripeRawError', await errorOf(stripe.invoices.createPreview({ subscription: sub.id, surprise: 1 } as Stripe.InvoiceCreatePreviewParams)));
    add('404 invoice_upcoming_none', 'Stripe.StripeRawError', await errorOf(stripe.invoices.createPreview({ subscription: ending.id })));
    add('401 (wrong key)', 'Stripe.StripeRawError', await errorOf(stripe.customers.list({}, { apiKey: 'sk_test_wrong' })));
    add('402 card_error', 'Stripe.StripeRawError', await errorOf(stripe.subscriptions.create({ customer: declining.id, items: [{ price: price.id }], payment_behavior: 'error_if_incomplete' })));
    add('403 (deauthorized account)', 'Stripe.StripeRawError', await errorOf(stripe.customers.list({}, onAcct)));
    await stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'shape-key' });
    add('400 idempotency_error', 'Stripe.StripeRawError', await errorOf(stripe.customers.create({ email: 'b@example.com' }, { idempotencyKey: 'shape-key' })));
    emu.setFaults({ api: [{ path: '/v1/customers', rate_limit: 0 }] });
    add('429 rate_limit', 'Stripe.StripeRawError', await errorOf(stripe.customers.list()));
    emu.clearFaults();
    emu.setFaults({ api: [{ path: '/v1/customers', status: 500, count: 1 }] });
    add('500 api_error', 'Stripe.StripeRawError', await errorOf(stripe.customers.list()));
    emu.clearFaults();

    // Events: each one delivered by webhook, with the SDK type of its `type`, and the API's lists.
    await emu.flushWebhooks();
    for (const event of receiver.events) add(`webhook ${event.type} (${event.id})`, eventTypeName(event.type), event);
    const listed = await stripe.events.list({ limit: 100 });
    add('GET /v1/events/:id', eventTypeName(listed.data[0].type), await stripe.events.retrieve(listed.data[0].id));
    // The list's elements are checked one by one above (as webhooks); the list itself by its frame.
    add('GET /v1/events', 'Stripe.ApiList<Stripe.Event>', { ...wire(listed) as object, data: [] });

    findings = checkShapes(samples);
  });
  afterAll(() => h.stop());

  it('reaches every event type the emulator sends', () => {
    // Each type the emulator can publish, so each is checked above; a new one must be added here.
    expect([...new Set(h.receiver.events.map((e) => e.type))].sort()).toEqual(
      [
        'account.application.deauthorized',
        'billing.meter.created',
        'billing.meter.deactivated',
        'billing.meter.reactivated',
        'billing.meter.updated',
        'billing_portal.configuration.created',
        'billing_portal.configuration.updated',
        'billing_portal.session.created',
        'charge.captured',
        'charge.failed',
        'charge.refund.updated',
        'charge.refunded',
        'charge.succeeded',
        'charge.updated',
        'checkout.session.completed',
        'checkout.session.expired',
        'coupon.created',
        'coupon.deleted',
        'coupon.updated',
        'customer.created',
        'customer.deleted',
        'customer.discount.created',
        'customer.discount.deleted',
        'customer.subscription.created',
        'customer.subscription.deleted',
        'customer.subscription.paused',
        'customer.subscription.resumed',
        'customer.subscription.trial_will_end',
        'customer.subscription.updated',
        'customer.updated',
        'entitlements.active_entitlement_summary.updated',
        'invoice.created',
        'invoice.deleted',
        'invoice.finalized',
        'invoice.marked_uncollectible',
        'invoice.overdue',
        'invoice.paid',
        'invoice.payment_action_required',
        'invoice.payment_failed',
        'invoice.payment_succeeded',
        'invoice.sent',
        'invoice.upcoming',
        'invoice.updated',
        'invoice.voided',
        'invoice_payment.paid',
        'invoiceitem.created',
        'invoiceitem.deleted',
        'payment_intent.amount_capturable_updated',
        'payment_intent.canceled',
        'payment_intent.created',
        'payment_intent.payment_failed',
        'payment_intent.requires_action',
        'payment_intent.succeeded',
        'payment_method.attached',
        'payment_method.detached',
        'payment_method.updated',
        'plan.created',
        'plan.deleted',
        'plan.updated',
        'price.created',
        'price.deleted',
        'price.updated',
        'product.created',
        'product.deleted',
        'product.updated',
        'promotion_code.created',
        'promotion_code.updated',
        'refund.created',
        'refund.updated',
        'setup_intent.canceled',
        'setup_intent.created',
        'setup_intent.requires_action',
        'setup_intent.setup_failed',
        'setup_intent.succeeded',
        'subscription_schedule.canceled',
        'subscription_schedule.completed',
        'subscription_schedule.created',
        'subscription_schedule.expiring',
        'subscription_schedule.released',
        'subscription_schedule.updated',
        'tax_rate.created',
        'tax_rate.updated',
        'test_helpers.test_clock.advancing',
        'test_helpers.test_clock.created',
        'test_helpers.test_clock.deleted',
        'test_helpers.test_clock.ready',
      ],
    );
  });

  const accepts = (a: Accepted, f: Finding) => a.difference === f.key && (!a.only || f.where.startsWith(a.only));

  it('has no difference from the SDK types but the accepted ones', () => {
    // One line per difference, with the number of places it occurs and the first of them.
    const unexpected = new Map<string, Finding[]>();
    for (const f of findings) if (!ACCEPTED.some((a) => accepts(a, f))) unexpected.set(f.key, [...(unexpected.get(f.key) ?? []), f]);
    expect([...unexpected].map(([key, [f, ...more]]) => `${key} — at ${f.where} ${f.message}${more.length ? ` (and ${more.length} more)` : ''}`)).toEqual([]);
  });

  it('lists no accepted difference that no longer occurs', () => {
    expect(ACCEPTED.filter((a) => !findings.some((f) => accepts(a, f)))).toEqual([]);
  });
});
