import type supertest from 'supertest';
import { createTier, type Tier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { authed, expectError, footprint, ownerToken, setCatalog, sqlOf, urls } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DEADLINE_MS = 2000;

/**
 * One deadline for all the Stripe calls of an API request, retries included
 * (STRIPE_REQUEST_DEADLINE_MS, short here; the per-attempt timeout keeps its 20 s default and
 * the SDK its 2 retries). Past it the caller gets 503 stripe_timeout with Retry-After, our tables
 * hold nothing of the request, and the same request later (same Idempotency-Key) completes it once.
 */
describe('the Stripe deadline of an API request', () => {
  let s: Stack;
  let tier: Tier;
  let token: string;
  let subId: string;

  beforeAll(async () => {
    s = await startStack({ STRIPE_REQUEST_DEADLINE_MS: String(DEADLINE_MS) });
    tier = await createTier(s.stripe, 'biz', ['biz_feature']);
    await setCatalog(s, 'default', [tier.monthly.id, tier.yearly.id]);
    token = await ownerToken('ACME');
    const checkout = await post('/api/subscriptions/stripe/checkout-session', { price_id: tier.monthly.id, ...urls });
    expect(checkout.status).toBe(200);
    await s.payCheckout(checkout.body.id);
    const synced = await post('/api/subscriptions/stripe/checkout-session-sync', { session_id: checkout.body.id });
    expect(synced.status).toBe(200);
    subId = synced.body.id;
  });
  afterEach(() => s.emulator.clearFaults());
  afterAll(() => s?.close());

  function post(path: string, body: object, headers: Record<string, string> = {}, as = token): supertest.Test {
    return authed(s.http().post(path), as, headers).send(body);
  }
  const ours = async () => {
    const { identities, subscriptions, subscription_items, trials } = await footprint(s);
    return { identities, subscriptions, subscription_items, trials };
  };

  it('Stripe answering slower than the deadline: a checkout answers 503 stripe_timeout with Retry-After, nothing written', async () => {
    const account = await ownerToken('SLOWCO');
    const before = await ours();
    s.emulator.setFaults({ api: [{ method: 'POST', latency_ms: 1.5 * DEADLINE_MS }] });
    const res = await post('/api/subscriptions/stripe/checkout-session', { price_id: tier.monthly.id, ...urls }, { 'idempotency-key': 'slow-checkout-1' }, account);
    expectError(res, 503, 'stripe_timeout');
    expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(await ours()).toEqual(before);
    await sleep(DEADLINE_MS); // the calls cut off by the deadline land in Stripe before the next test
  });

  it('calls each faster than the deadline but slower together: 503 stripe_timeout; the retry with the same key makes one session', async () => {
    const account = await ownerToken('SUMCO');
    const body = { price_id: tier.monthly.id, ...urls };
    const sessionsBefore = (await footprint(s)).stripe_sessions;
    // Creating the customer and then the session take 0.65 × the deadline each: 1.3 × the deadline together.
    s.emulator.setFaults({ api: [{ method: 'POST', latency_ms: Math.round(0.65 * DEADLINE_MS) }] });
    expectError(await post('/api/subscriptions/stripe/checkout-session', body, { 'idempotency-key': 'sum-1' }, account), 503, 'stripe_timeout');
    await sleep(DEADLINE_MS); // the session creation cut off by the deadline lands in Stripe meanwhile
    s.emulator.clearFaults();
    const retried = await post('/api/subscriptions/stripe/checkout-session', body, { 'idempotency-key': 'sum-1' }, account);
    expect(retried.status).toBe(200);
    expect((await footprint(s)).stripe_sessions).toBe(sessionsBefore + 1);
  });

  it('a cancel with Stripe slower than the deadline: 503 stripe_timeout with Retry-After, the mirror unchanged', async () => {
    const [before] = await sqlOf(s)<{ cancel_at_period_end: boolean }>('select cancel_at_period_end from subscriptions where id = ?', [subId]);
    s.emulator.setFaults({ api: [{ path: `/v1/subscriptions/${subId}`, method: 'POST', latency_ms: 1.5 * DEADLINE_MS }] });
    const res = await post(`/api/subscriptions/${subId}/cancel`, { timing: 'period_end' }, { 'idempotency-key': 'slow-cancel-1' });
    expectError(res, 503, 'stripe_timeout');
    expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    const [after] = await sqlOf(s)<{ cancel_at_period_end: boolean }>('select cancel_at_period_end from subscriptions where id = ?', [subId]);
    expect(after).toEqual(before);
    await sleep(DEADLINE_MS);
  });
});
