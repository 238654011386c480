// Fault injection and webhook delivery behaviour: SDK retries on 5xx, 429 headers, webhook
// retries with backoff, duplicated/reordered/dropped deliveries, delivery switched off.
import Stripe from 'stripe';
import { control, harness, sdk, type Harness } from './helpers.js';

describe('faults and webhook delivery', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.stop());
  afterEach(async () => {
    h.emu.clearFaults();
    h.emu.setWebhooksEnabled(true);
    await h.emu.flushWebhooks();
    h.receiver.clear();
  });

  it('500s on a path are retried by the SDK (maxNetworkRetries) and the call succeeds', async () => {
    const set = await control(h.emu, 'POST', '/_emulator/faults', { api: [{ path: '/v1/customers', method: 'POST', status: 500, count: 2 }] });
    expect(set.body.api[0]).toMatchObject({ status: 500, count: 2 });
    const retrying = sdk(h.emu, { maxNetworkRetries: 2 });
    const customer = await retrying.customers.create({ email: 'retry@example.com' });
    expect(customer.email).toBe('retry@example.com');
    // Without retries the SDK surfaces Stripe's api_error.
    h.emu.setFaults({ api: [{ path: '/v1/customers', status: 500, count: 1 }] });
    await expect(h.stripe.customers.list()).rejects.toMatchObject({ type: 'StripeAPIError', statusCode: 500 });
  });

  it('429s come as Stripe sends them: rate_limit code, no Stripe-Should-Retry, so the SDK does not retry', async () => {
    h.emu.setFaults({ api: [{ path: '/v1/products', rate_limit: 2 }] });
    const retrying = sdk(h.emu, { maxNetworkRetries: 2 });
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => retrying.products.list()));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    const err = rejected[0].reason as Stripe.errors.StripeRateLimitError;
    expect(err.type).toBe('StripeRateLimitError');
    expect(err.statusCode).toBe(429);
    expect(err.code).toBe('rate_limit');
    expect(err.headers?.['stripe-should-retry']).toBeUndefined();
    h.emu.clearFaults();
    // With should_retry set, the SDK retries the 429 by itself.
    h.emu.setFaults({ api: [{ path: '/v1/products', status: 429, count: 1, should_retry: true }] });
    await expect(retrying.products.list()).resolves.toBeDefined();
  });

  it('adds latency to matching calls', async () => {
    h.emu.setFaults({ api: [{ path: '/v1/customers', latency_ms: 150 }] });
    const t = Date.now();
    await h.stripe.customers.list();
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);
  });

  it('retries a webhook delivery answered with a non-2xx until it succeeds', async () => {
    h.receiver.failNext(2, 503);
    const c = await h.stripe.customers.create({ email: 'hook@example.com' });
    await h.emu.flushWebhooks();
    expect(h.receiver.events.some((e) => (e.data.object as Stripe.Customer).id === c.id)).toBe(true);
    const log = (await control(h.emu, 'GET', '/_emulator/webhooks')).body.deliveries as { status: number; attempt: number }[];
    expect(log.slice(-3).map((d) => d.status)).toEqual([503, 503, 200]);
    expect(log.slice(-1)[0].attempt).toBe(3);
    expect((await h.stripe.events.list({ type: 'customer.created', limit: 1 })).data[0].pending_webhooks).toBe(0);
  });

  it('duplicates deliveries when asked', async () => {
    h.emu.setFaults({ webhooks: { duplicate: { count: 1 } } });
    await h.stripe.customers.create({});
    await h.emu.flushWebhooks();
    expect(h.receiver.deliveries).toHaveLength(2);
    expect(h.receiver.deliveries[0].id).toBe(h.receiver.deliveries[1].id);
  });

  it('reorders deliveries when asked', async () => {
    h.emu.setFaults({ webhooks: { reorder: { window: 3 } } });
    const a = await h.stripe.customers.create({ name: 'a' });
    const b = await h.stripe.customers.create({ name: 'b' });
    const c = await h.stripe.customers.create({ name: 'c' });
    await h.emu.flushWebhooks();
    expect(h.receiver.events.map((e) => (e.data.object as Stripe.Customer).id)).toEqual([c.id, b.id, a.id]);
  });

  it('drops deliveries when asked, and delivers nothing while webhooks are off (events are still recorded)', async () => {
    h.emu.setFaults({ webhooks: { drop: { types: ['customer.created'] } } });
    await h.stripe.customers.create({});
    await h.emu.flushWebhooks();
    expect(h.receiver.deliveries).toHaveLength(0);
    h.emu.clearFaults();

    expect((await control(h.emu, 'POST', '/_emulator/webhooks', { enabled: false })).body).toEqual({ enabled: false });
    const c = await h.stripe.customers.create({ email: 'silent@example.com' });
    await control(h.emu, 'POST', '/_emulator/webhooks/flush');
    expect(h.receiver.deliveries).toHaveLength(0);
    const listed = await h.stripe.events.list({ type: 'customer.created', limit: 1 });
    expect((listed.data[0].data.object as Stripe.Customer).id).toBe(c.id);
  });

  it('clears faults with DELETE', async () => {
    await control(h.emu, 'POST', '/_emulator/faults', { api: [{ status: 503 }] });
    expect((await control(h.emu, 'DELETE', '/_emulator/faults')).body.api).toEqual([]);
    await expect(h.stripe.customers.list()).resolves.toBeDefined();
  });
});
