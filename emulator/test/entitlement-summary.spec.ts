// `entitlements.active_entitlement_summary.updated` as Stripe sends it: the first 10 entitlements
// embedded, `has_more` when the customer has more (the active entitlements list has them all).
import type Stripe from 'stripe';
import { harness, type Harness } from './helpers.js';

describe('active entitlement summary events', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.stop());

  it('embeds the first 10 entitlements with has_more beyond; 10 or fewer with has_more false', async () => {
    const { stripe, emu, receiver } = h;
    const product = await stripe.products.create({ name: 'Wide' });
    const price = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month' } });
    for (let i = 1; i <= 12; i++) {
      const feature = await stripe.entitlements.features.create({ name: `F${i}`, lookup_key: `wide_${String(i).padStart(2, '0')}` });
      await stripe.products.createFeature(product.id, { entitlement_feature: feature.id });
    }
    const customer = await stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    await emu.flushWebhooks();
    const summaries = () =>
      receiver.events.filter((e) => e.type === 'entitlements.active_entitlement_summary.updated' && (e.data.object as Stripe.Entitlements.ActiveEntitlementSummary).customer === customer.id);
    const [granted] = summaries();
    const summary = granted!.data.object as Stripe.Entitlements.ActiveEntitlementSummary;
    expect(summary.entitlements.data.map((e) => e.lookup_key)).toEqual(Array.from({ length: 10 }, (_, i) => `wide_${String(i + 1).padStart(2, '0')}`));
    expect(summary.entitlements.has_more).toBe(true);
    const all = await stripe.entitlements.activeEntitlements.list({ customer: customer.id, limit: 100 });
    expect(all.data).toHaveLength(12);

    await stripe.subscriptions.cancel(sub.id);
    await emu.flushWebhooks();
    const revoked = summaries()[1]!;
    expect((revoked.data.object as Stripe.Entitlements.ActiveEntitlementSummary).entitlements).toMatchObject({ data: [], has_more: false });
    expect((revoked.data as { previous_attributes?: { entitlements?: { data: unknown[]; has_more: boolean } } }).previous_attributes?.entitlements).toMatchObject({ has_more: true });
  });
});
