// Test clock events as Stripe sends them: created; advancing then ready around an advance (ready
// once every renewal due by the new time has run); deleted.
import type Stripe from 'stripe';
import { harness, type Harness } from './helpers.js';

describe('test clock events', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.stop());

  it('created, advancing, ready (after the renewals it caused), deleted', async () => {
    const { stripe, emu, receiver } = h;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: emu.now(), name: 'monthly run' });
    const product = await stripe.products.create({ name: 'Pro' });
    const price = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month' } });
    const customer = await stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const target = sub.items.data[0].current_period_end + 60;
    const advanced = await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: target });
    expect(advanced).toMatchObject({ id: clock.id, status: 'ready', frozen_time: target });
    await stripe.testHelpers.testClocks.del(clock.id);
    await emu.flushWebhooks();

    const mine = receiver.events.filter((e) => e.type.startsWith('test_helpers.test_clock.') || (e.type === 'invoice.paid' && (e.data.object as Stripe.Invoice).billing_reason === 'subscription_cycle'));
    expect(mine.map((e) => e.type)).toEqual(['test_helpers.test_clock.created', 'test_helpers.test_clock.advancing', 'invoice.paid', 'test_helpers.test_clock.ready', 'test_helpers.test_clock.deleted']);
    expect(mine[1]!.data.object).toMatchObject({ status: 'advancing', status_details: { advancing: { target_frozen_time: target } } });
    expect(mine[3]!.data.object).toMatchObject({ status: 'ready', frozen_time: target });
  });
});
