// The control API over HTTP, time ordering across subscriptions, and endpoints registered
// through the API with their own signing secret.
import type Stripe from 'stripe';
import { catalog, control, DAY, harness, startReceiver, type Harness } from './helpers.js';

describe('control API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.stop());

  it('needs the secret key', async () => {
    const res = await fetch(`${h.emu.url}/_emulator/clock`, { headers: { Authorization: 'Bearer sk_test_nope' } });
    expect(res.status).toBe(401);
  });

  it('advancing the clock over HTTP runs renewals of several subscriptions in timestamp order', async () => {
    const { stripe, emu } = h;
    const monthly = (await catalog(stripe)).price;
    const weekly = await stripe.prices.create({ product: monthly.product as string, currency: 'jpy', unit_amount: 300, recurring: { interval: 'week' } });
    const customer = await stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const a = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
    const b = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: weekly.id }] });
    const startedMs = Date.now();
    const before = (await control(emu, 'GET', '/_emulator/clock')).body.now as number;
    const advanced = await control(emu, 'POST', '/_emulator/clock/advance', { seconds: 40 * DAY });
    // 40 days on from `before`, and the real seconds that passed between the two calls (the clock goes on ticking).
    const ticked = (advanced.body.now as number) - (before + 40 * DAY);
    expect(ticked).toBeGreaterThanOrEqual(0);
    expect(ticked).toBeLessThanOrEqual(Math.ceil((Date.now() - startedMs) / 1000));
    await emu.flushWebhooks();
    const created = h.receiver.events.filter(
      (e) => e.type === 'invoice.created' && [a.id, b.id].includes((e.data.object as Stripe.Invoice).parent?.subscription_details?.subscription as string),
    );
    // 2 first invoices + 5 weekly renewals + 1 monthly renewal, each stamped at its own time, in order.
    expect(created).toHaveLength(8);
    const times = created.map((e) => e.created);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    const monthlyRenewal = created.find((e) => (e.data.object as Stripe.Invoice).billing_reason === 'subscription_cycle' && (e.data.object as Stripe.Invoice).parent?.subscription_details?.subscription === a.id)!;
    expect(monthlyRenewal.created).toBe(a.items.data[0].current_period_end);
  });

  it('a test clock keeps its own time: advancing it leaves the emulator clock where it was', async () => {
    const { stripe, emu } = h;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: emu.now() });
    const before = emu.now();
    const advanced = await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: before + 3600 });
    expect(advanced.frozen_time).toBe(before + 3600);
    expect(emu.now()).toBeLessThan(before + 3600);
    await expect(stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: before + 3590 })).rejects.toMatchObject({ statusCode: 400 });
  });

  it('an endpoint registered through the API gets events signed with its own secret', async () => {
    const { stripe, emu } = h;
    // The receiver needs the secret Stripe returns at creation, so the endpoint is created first and pointed at it after.
    const endpoint = await stripe.webhookEndpoints.create({ url: 'http://127.0.0.1:9/unused', enabled_events: ['product.created'] });
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect((await stripe.webhookEndpoints.retrieve(endpoint.id)).secret).toBeUndefined();
    const receiver = await startReceiver(endpoint.secret!);
    try {
      await stripe.webhookEndpoints.update(endpoint.id, { url: receiver.url });
      await stripe.products.create({ name: 'hooked' });
      await stripe.customers.create({});
      await emu.flushWebhooks();
      expect(receiver.types()).toEqual(['product.created']);
    } finally {
      await stripe.webhookEndpoints.del(endpoint.id);
      await receiver.close();
    }
  });

  it('validates settings and resets state', async () => {
    const { stripe, emu } = h;
    expect((await control(emu, 'POST', '/_emulator/settings', { pastDueFinalAction: 'explode' })).status).toBe(400);
    const c = await stripe.customers.create({});
    expect((await control(emu, 'POST', '/_emulator/reset')).body).toEqual({ reset: true });
    await expect(stripe.customers.retrieve(c.id)).rejects.toMatchObject({ statusCode: 404 });
    // The endpoint configured at start survives a reset.
    h.receiver.clear();
    await stripe.customers.create({});
    await emu.flushWebhooks();
    expect(h.receiver.types()).toEqual(['customer.created']);
  });
});
