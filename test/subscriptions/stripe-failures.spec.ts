import type Stripe from 'stripe';
import type supertest from 'supertest';
import { createTier, type Tier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { authed, expectError, expectMatchesStripe, footprint, ownerToken, setCatalog, sqlOf, urls } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stripe failing under the API: 5xx and 429 beyond the SDK's retry, and answers slower than the
 * timeout. The caller gets 502/503 in the error format, our tables hold nothing half-written, and a
 * retried mutation with the same Idempotency-Key makes one Stripe object, not two.
 */
describe('subscriptions API when Stripe fails', () => {
  let s: Stack;
  let tier: Tier;
  let token: string;
  let subId: string;

  beforeAll(async () => {
    s = await startStack({ STRIPE_TIMEOUT_MS: '300', STRIPE_MAX_NETWORK_RETRIES: '1' });
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
  afterAll(() => s.close());

  function post(path: string, body: object, headers: Record<string, string> = {}, as = token): supertest.Test {
    return authed(s.http().post(path), as, headers).send(body);
  }
  const mirrored = async () => (await authed(s.http().get('/api/subscriptions'), token)).body.data;
  const subscriptionUpdates = async () => {
    const events = await s.stripe.events.list({ type: 'customer.subscription.updated', limit: 100 }).autoPagingToArray({ limit: 1000 });
    return events.filter((e) => (e.data.object as Stripe.Subscription).id === subId).length;
  };

  it('500 on customer creation beyond the retry: 502, no customer, no identity, no session', async () => {
    const newcomer = await ownerToken('NEWCO');
    const before = await footprint(s);
    s.emulator.setFaults({ api: [{ path: '/v1/customers', method: 'POST', status: 500, count: 2 }] });
    const res = await post('/api/subscriptions/stripe/checkout-session', { price_id: tier.yearly.id, ...urls }, {}, newcomer);
    expectError(res, 502, 'stripe_unavailable');
    expect(await footprint(s)).toEqual(before);
    // Once Stripe is back the same request works.
    s.emulator.clearFaults();
    expect((await post('/api/subscriptions/stripe/checkout-session', { price_id: tier.yearly.id, ...urls }, {}, newcomer)).status).toBe(200);
  });

  it('customer creation slower than the timeout: 502; the retry (without any key from the client) makes one customer, not two', async () => {
    const account = await ownerToken('LAGCO');
    const before = await footprint(s);
    s.emulator.setFaults({ api: [{ path: '/v1/customers', method: 'POST', latency_ms: 800, count: 2 }] });
    expectError(await post('/api/subscriptions/stripe/checkout-session', { price_id: tier.monthly.id, ...urls }, {}, account), 502, 'stripe_unavailable');
    expect((await footprint(s)).identities).toBe(before.identities);
    await sleep(1000);
    s.emulator.clearFaults();
    expect((await post('/api/subscriptions/stripe/checkout-session', { price_id: tier.monthly.id, ...urls }, {}, account)).status).toBe(200);
    const after = await footprint(s);
    expect(after.stripe_customers).toBe(before.stripe_customers + 1);
    expect(after.identities).toBe(before.identities + 1);
  });

  it('500 on session creation: 502 and no session; the retry reuses the customer made before', async () => {
    const account = await ownerToken('RETRYCO');
    const before = await footprint(s);
    s.emulator.setFaults({ api: [{ path: '/v1/checkout/sessions', method: 'POST', status: 500, count: 2 }] });
    expectError(await post('/api/subscriptions/stripe/checkout-session', { price_id: tier.monthly.id, ...urls }, {}, account), 502, 'stripe_unavailable');
    const after = await footprint(s);
    expect(after).toMatchObject({ stripe_sessions: before.stripe_sessions, subscriptions: before.subscriptions, stripe_subscriptions: before.stripe_subscriptions });
    s.emulator.clearFaults();
    const ok = await post('/api/subscriptions/stripe/checkout-session', { price_id: tier.monthly.id, ...urls }, {}, account);
    expect(ok.status).toBe(200);
    const done = await footprint(s);
    expect(done.stripe_sessions).toBe(before.stripe_sessions + 1);
    expect(done.stripe_customers).toBe(after.stripe_customers);
  });

  it('429 beyond the retry on a change: 503 stripe_rate_limited, Stripe and the mirror unchanged', async () => {
    const stripeBefore = await s.stripe.subscriptions.retrieve(subId);
    const mirrorBefore = await mirrored();
    s.emulator.setFaults({ api: [{ path: '/v1/subscriptions', method: 'POST', status: 429, should_retry: true, count: 2 }] });
    const res = await post(`/api/subscriptions/${subId}/change`, { interval: 'year' });
    expectError(res, 503, 'stripe_rate_limited');
    expect(await s.stripe.subscriptions.retrieve(subId)).toEqual(stripeBefore);
    expect(await mirrored()).toEqual(mirrorBefore);
  });

  it('500 on checkout-session-sync and on the portal: 502, nothing mirrored', async () => {
    const account = await ownerToken('SYNCCO');
    const checkout = await post('/api/subscriptions/stripe/checkout-session', { price_id: tier.monthly.id, ...urls }, {}, account);
    await s.payCheckout(checkout.body.id);
    s.emulator.setFaults({ api: [{ path: '/v1/checkout/sessions', method: 'GET', status: 500, count: 2 }, { path: '/v1/billing_portal', status: 500, count: 2 }] });
    expectError(await post('/api/subscriptions/stripe/checkout-session-sync', { session_id: checkout.body.id }, {}, account), 502, 'stripe_unavailable');
    expect(await sqlOf(s)('select id from subscriptions where account_id = ?', ['SYNCCO'])).toEqual([]);
    expectError(await post('/api/subscriptions/stripe/portal-session', { return_url: urls.success_url }, {}, account), 502, 'stripe_unavailable');
    s.emulator.clearFaults();
    const synced = await post('/api/subscriptions/stripe/checkout-session-sync', { session_id: checkout.body.id }, {}, account);
    expect(synced.status).toBe(200);
    await expectMatchesStripe(s, synced.body);
  });

  it('Stripe slower than the timeout on a cancel: 502; the retry with the same Idempotency-Key applies it once and mirrors it', async () => {
    const updatesBefore = await subscriptionUpdates();
    s.emulator.setFaults({ api: [{ path: `/v1/subscriptions/${subId}`, method: 'POST', latency_ms: 800, count: 2 }] });
    const key = 'cancel-at-end-0001';
    const slow = await post(`/api/subscriptions/${subId}/cancel`, { timing: 'period_end' }, { 'idempotency-key': key });
    expectError(slow, 502, 'stripe_unavailable');
    // Our mirror did not move: nothing was written for a call whose outcome we do not know.
    expect((await mirrored())[0].cancel_at_period_end).toBe(false);
    await sleep(1000); // the delayed calls land in Stripe meanwhile
    s.emulator.clearFaults();
    const retried = await post(`/api/subscriptions/${subId}/cancel`, { timing: 'period_end' }, { 'idempotency-key': key });
    expect(retried.status).toBe(200);
    expect(retried.body.cancel_at_period_end).toBe(true);
    await expectMatchesStripe(s, retried.body);
    expect((await subscriptionUpdates()) - updatesBefore).toBe(1);
    // Undo for the next tests.
    expect((await post(`/api/subscriptions/${subId}/resume`, {})).status).toBe(200);
  });

  it('two checkout-session creations with the same Idempotency-Key give one session; another key another session', async () => {
    const account = await ownerToken('IDEMCO');
    const before = await footprint(s);
    const body = { price_id: tier.monthly.id, ...urls };
    const first = await post('/api/subscriptions/stripe/checkout-session', body, { 'idempotency-key': 'checkout-1' }, account);
    const second = await post('/api/subscriptions/stripe/checkout-session', body, { 'idempotency-key': 'checkout-1' }, account);
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect((await footprint(s)).stripe_sessions).toBe(before.stripe_sessions + 1);
    const third = await post('/api/subscriptions/stripe/checkout-session', body, { 'idempotency-key': 'checkout-2' }, account);
    expect(third.body.id).not.toBe(first.body.id);
    // The same key for another account is another request.
    const elsewhere = await post('/api/subscriptions/stripe/checkout-session', body, { 'idempotency-key': 'checkout-1' }, await ownerToken('IDEMCO2'));
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.id).not.toBe(first.body.id);
  });

  it('a checkout-session creation that timed out, retried with the same key, gives the session Stripe made', async () => {
    const account = await ownerToken('SLOWCO');
    const body = { price_id: tier.monthly.id, ...urls };
    await post('/api/subscriptions/stripe/checkout-session', body, { 'idempotency-key': 'warm-up' }, account); // the customer exists
    const before = await footprint(s);
    s.emulator.setFaults({ api: [{ path: '/v1/checkout/sessions', method: 'POST', latency_ms: 800, count: 2 }] });
    expectError(await post('/api/subscriptions/stripe/checkout-session', body, { 'idempotency-key': 'slow-1' }, account), 502, 'stripe_unavailable');
    await sleep(1000);
    s.emulator.clearFaults();
    expect((await footprint(s)).stripe_sessions).toBe(before.stripe_sessions + 1); // Stripe did make it
    const retried = await post('/api/subscriptions/stripe/checkout-session', body, { 'idempotency-key': 'slow-1' }, account);
    expect(retried.status).toBe(200);
    expect((await footprint(s)).stripe_sessions).toBe(before.stripe_sessions + 1);
    const newest = (await s.stripe.checkout.sessions.list({ limit: 1 })).data[0]!;
    expect(retried.body.id).toBe(newest.id);
  });

  it('two changes with the same Idempotency-Key make one update (one proration invoice); the key with another body is a 409', async () => {
    const invoices = async () => (await s.stripe.invoices.list({ subscription: subId, limit: 100 })).data.length;
    const [invoicesBefore, updatesBefore] = [await invoices(), await subscriptionUpdates()];
    const body = { quantity: 4, proration_behavior: 'always_invoice' };
    const first = await post(`/api/subscriptions/${subId}/change`, body, { 'idempotency-key': 'seats-4' });
    expect(first.status).toBe(200);
    const second = await post(`/api/subscriptions/${subId}/change`, body, { 'idempotency-key': 'seats-4' });
    expect(second.status).toBe(200);
    expect(second.body.items[0].quantity).toBe(4);
    expect((await invoices()) - invoicesBefore).toBe(1);
    expect((await subscriptionUpdates()) - updatesBefore).toBe(1);
    await expectMatchesStripe(s, second.body);

    expectError(await post(`/api/subscriptions/${subId}/change`, { quantity: 6 }, { 'idempotency-key': 'seats-4' }), 409, 'idempotency_conflict');
    expect((await s.stripe.subscriptions.retrieve(subId)).items.data[0]!.quantity).toBe(4);
  });

  it('a late retry of a change, after another change, answers and mirrors what Stripe holds now (not the replayed old state)', async () => {
    const changed = await post(`/api/subscriptions/${subId}/change`, { quantity: 7 }, { 'idempotency-key': 'seats-7' });
    expect(changed.status).toBe(200);
    const scheduled = await post(`/api/subscriptions/${subId}/cancel`, { timing: 'period_end' });
    expect(scheduled.body.cancel_at_period_end).toBe(true);
    // The client retries the first request (its answer was lost): Stripe replays the old answer.
    const retried = await post(`/api/subscriptions/${subId}/change`, { quantity: 7 }, { 'idempotency-key': 'seats-7' });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ cancel_at_period_end: true });
    expect(retried.body.items[0].quantity).toBe(7);
    await expectMatchesStripe(s, retried.body);
    expect((await mirrored())[0].cancel_at_period_end).toBe(true);
    expect((await post(`/api/subscriptions/${subId}/resume`, {})).status).toBe(200);
  });
});
