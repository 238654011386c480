// Compares the fields of every object type the emulator returns with Stripe's own example of
// that type (../shared/stripe-openapi/fixtures3.json). Every difference is listed with its reason;
// an unlisted difference, or a listed one that no longer exists, fails the test.
import { readFileSync } from 'node:fs';
import { catalog, harness, type Harness } from './helpers.js';

const fixtures = JSON.parse(readFileSync(new URL('../../../shared/stripe-openapi/fixtures3.json', import.meta.url), 'utf8')).resources as Record<
  string,
  Record<string, unknown>
>;

type Differences = { missing?: Record<string, string>; extra?: Record<string, string> };

const UNUSED = 'never read by the product; Stripe sends it only with features the emulator does not model';

/** object type → fields Stripe's example has that the emulator omits (missing), or the reverse (extra). */
const KNOWN: Record<string, Differences> = {
  customer: {},
  product: { extra: { tax_details: 'in the SDK types of this API version (Product.tax_details), newer than the example' } },
  price: {},
  tax_rate: {},
  'entitlements.feature': {},
  product_feature: {},
  'entitlements.active_entitlement': {},
  'entitlements.active_entitlement_summary': {},
  'checkout.session': {
    missing: { phone_number_collection: 'optional in the SDK types; phone number collection is not modelled' },
    extra: { allowed_payment_method_types: 'in the SDK types of this API version, newer than the example' },
  },
  'billing_portal.session': {},
  subscription: {},
  subscription_item: { extra: { current_trial: 'in the SDK types of this API version (SubscriptionItem.current_trial), newer than the example' } },
  invoice: {
    missing: { subscription: 'removed from Invoice in this API version (not in the SDK types); the subscription is at parent.subscription_details.subscription' },
  },
  line_item: {},
  event: { extra: { account: 'set on events of connected accounts, as Stripe does; the example is a platform event' } },
  webhook_endpoint: {},
  'test_helpers.test_clock': {},
  account: {
    missing: {
      future_requirements: `onboarding requirements are not modelled; ${UNUSED}`,
      requirements: `onboarding requirements are not modelled; ${UNUSED}`,
      tos_acceptance: `only for custom accounts; ${UNUSED}`,
    },
  },
};

function keys(o: object): Set<string> {
  return new Set(Object.keys(o));
}

describe('object shapes match Stripe fixtures', () => {
  let h: Harness;
  const samples: Record<string, object> = {};
  beforeAll(async () => {
    h = await harness();
    const { stripe, emu } = h;
    const acct = (await stripe.accounts.create({ type: 'standard' })).id;
    const { product, price, feature } = await catalog(stripe, { feature: 'shape_feature' });
    const rate = await stripe.taxRates.create({ display_name: 'JCT', percentage: 10, inclusive: false });
    const customer = await stripe.customers.create({ email: 's@example.com', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], default_tax_rates: [rate.id] });
    const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string);
    const session = await stripe.checkout.sessions.create({ mode: 'subscription', customer: customer.id, line_items: [{ price: price.id }], success_url: 'https://x.example' });
    const portal = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://x.example' });
    const pfs = await stripe.products.listFeatures(product.id);
    const active = await stripe.entitlements.activeEntitlements.list({ customer: customer.id });
    await emu.flushWebhooks();
    const summary = h.receiver.events.find((e) => e.type === 'entitlements.active_entitlement_summary.updated')!;
    const endpoint = (await stripe.webhookEndpoints.list()).data[0];
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: emu.now() });
    const connectEvent = (await stripe.events.list({}, { stripeAccount: acct })).data[0];
    await stripe.customers.create({}, { stripeAccount: acct });
    const event = (await stripe.events.list({}, { stripeAccount: acct })).data[0] ?? connectEvent;
    Object.assign(samples, {
      customer,
      product: await stripe.products.retrieve(product.id),
      price,
      tax_rate: rate,
      'entitlements.feature': feature!,
      product_feature: pfs.data[0],
      'entitlements.active_entitlement': active.data[0],
      'entitlements.active_entitlement_summary': summary.data.object,
      'checkout.session': session,
      'billing_portal.session': portal,
      subscription: sub,
      subscription_item: sub.items.data[0],
      invoice,
      line_item: invoice.lines.data[0],
      event,
      webhook_endpoint: endpoint,
      'test_helpers.test_clock': clock,
      account: await stripe.accounts.retrieve(acct),
    });
  });
  afterAll(() => h.stop());

  const strip = (o: object) => {
    // The SDK adds lastResponse to what it returns; it is not part of the object.
    const { lastResponse: _r, ...rest } = o as { lastResponse?: unknown };
    return rest;
  };

  it.each(Object.keys(KNOWN))('%s', (type) => {
    const sample = samples[type];
    expect(sample).toBeDefined();
    const fixture = fixtures[type];
    expect(fixture).toBeDefined();
    const ours = keys(strip(sample));
    const theirs = keys(fixture);
    const missing = [...theirs].filter((k) => !ours.has(k)).sort();
    const extra = [...ours].filter((k) => !theirs.has(k)).sort();
    expect({ missing, extra }).toEqual({
      missing: Object.keys(KNOWN[type].missing ?? {}).sort(),
      extra: Object.keys(KNOWN[type].extra ?? {}).sort(),
    });
  });
});
