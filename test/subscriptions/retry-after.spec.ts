import type supertest from 'supertest';
import { createTier, type Tier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { startStripeProxy, type StripeProxy } from '../support/stripe-proxy.js';
import { authed, expectError, footprint, ownerToken, setCatalog, urls } from './helpers.js';

/**
 * Every "try again later" answer (429, 502, 503) says when: `Retry-After` in seconds, Stripe's own
 * figure when Stripe rate-limited us, a small default otherwise, and the API document says so.
 * The service reaches the emulator through a proxy that adds `Retry-After: 7` to the emulator's
 * 429s, as real Stripe may.
 */
describe('Retry-After on 429, 502 and 503', () => {
  let proxy: StripeProxy;
  let s: Stack;
  let tier: Tier;
  let token: string;

  beforeAll(async () => {
    proxy = await startStripeProxy({ 429: { 'retry-after': '7' } });
    s = await startStack({ STRIPE_API_BASE: proxy.url, STRIPE_MAX_NETWORK_RETRIES: '0' }, { port: proxy.targetPort });
    tier = await createTier(s.stripe, 'biz', ['biz_feature']);
    await setCatalog(s, 'default', [tier.monthly.id]);
    token = await ownerToken('ACME');
  });
  afterEach(() => s.emulator.clearFaults());
  afterAll(async () => {
    await s?.close();
    await proxy?.close();
  });

  const checkout = (as = token): supertest.Test => authed(s.http().post('/api/subscriptions/stripe/checkout-session'), as).send({ price_id: tier.monthly.id, ...urls });

  it('Stripe failing (an injected 500): 502 stripe_unavailable with the default Retry-After, nothing written', async () => {
    const before = await footprint(s);
    s.emulator.setFaults({ api: [{ path: '/v1/customers', method: 'POST', status: 500, count: 1 }] });
    const res = await checkout(await ownerToken('FAILCO'));
    expectError(res, 502, 'stripe_unavailable');
    expect(res.headers['retry-after']).toBe('5');
    expect(await footprint(s)).toEqual(before);
  });

  it("Stripe rate-limiting us (an injected 429): 503 stripe_rate_limited with Stripe's own Retry-After", async () => {
    s.emulator.setFaults({ api: [{ path: '/v1/customers', method: 'POST', status: 429, count: 1 }] });
    const res = await checkout(await ownerToken('BUSYCO'));
    expectError(res, 503, 'stripe_rate_limited');
    expect(res.headers['retry-after']).toBe('7');
    // The same request goes through once Stripe lets it.
    expect((await checkout(await ownerToken('BUSYCO'))).status).toBe(200);
  });

  it('the API document declares Retry-After on every 429, 502 and 503 answer', async () => {
    const doc = (await s.http().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, { responses?: Record<string, { headers?: Record<string, unknown> }> }>> };
    const retryable = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, op]) =>
        Object.entries(op.responses ?? {})
          .filter(([status]) => ['429', '502', '503'].includes(status))
          .map(([status, response]) => ({ route: `${method.toUpperCase()} ${path} ${status}`, header: response.headers?.['Retry-After'] })),
      ),
    );
    // The Stripe-backed routes declare 502 and 503, /health its 503.
    expect(retryable.map((r) => r.route)).toEqual(expect.arrayContaining(['POST /api/subscriptions/stripe/checkout-session 502', 'POST /api/subscriptions/stripe/checkout-session 503', 'GET /health 503']));
    for (const { route, header } of retryable) expect({ route, header }).toEqual({ route, header: expect.objectContaining({ schema: expect.objectContaining({ type: 'integer' }) }) });
  });
});
