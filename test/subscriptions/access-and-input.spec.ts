import type Stripe from 'stripe';
import type supertest from 'supertest';
import { createTier, type Tier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { accountToken } from '../support/test-app.js';
import { authed, expectError, footprint, memberToken, ORIGIN, ownerToken, setCatalog, sqlOf, urls } from './helpers.js';

/**
 * Who may call what, and what a wrong request gets: every route of both route sets, the error
 * format with a stable code, and nothing created in Stripe or in our tables by a refused request.
 */
describe('subscriptions API: authorization and bad input', () => {
  let s: Stack;
  let tier: Tier; // sold by the default application: monthly and yearly
  let monthlyOnly: Stripe.Price; // a product with no yearly price in the catalog
  let otherAppPrice: Stripe.Price; // sold by another application
  let archived: Stripe.Price;
  let acmeSub: string; // ACME's live subscription to `tier`
  let acmeSession: string;

  beforeAll(async () => {
    s = await startStack();
    tier = await createTier(s.stripe, 'pro', ['pro_feature']);
    const single = await createTier(s.stripe, 'single', []);
    monthlyOnly = single.monthly;
    otherAppPrice = (await createTier(s.stripe, 'elsewhere', [])).monthly;
    archived = await s.stripe.prices.create({ product: tier.product.id, currency: 'jpy', unit_amount: 500, recurring: { interval: 'month' } });
    await setCatalog(s, 'default', [tier.monthly.id, tier.yearly.id, monthlyOnly.id, archived.id]);
    // A catalog entry Stripe does not know (the admin API refuses to list one; written before it checked, say).
    await sqlOf(s)(`insert into application_prices (id, application_id, stripe_price_id, created_at) values (gen_random_uuid(), 'default', 'price_NotInStripe123', now())`);
    const other = await s.admin(s.http().post('/admin/applications')).send({ id: 'other-app', name: 'Other', merchant_id: 'platform', price_ids: [otherAppPrice.id], allowed_origins: [ORIGIN] });
    expect(other.status).toBe(201);
    // The merchant archives a price later on; the price.updated event reaches the mirror.
    await s.settle();
    await s.advance(60);
    await s.stripe.prices.update(archived.id, { active: false });
    await s.settle();

    const acme = await ownerToken('ACME');
    const checkout = await authed(s.http().post('/api/subscriptions/stripe/checkout-session'), acme).send({ price_id: tier.monthly.id, ...urls });
    expect(checkout.status).toBe(200);
    acmeSession = checkout.body.id;
    await s.payCheckout(acmeSession);
    const synced = await authed(s.http().post('/api/subscriptions/stripe/checkout-session-sync'), acme).send({ session_id: acmeSession });
    expect(synced.status).toBe(200);
    acmeSub = synced.body.id;
  });
  afterAll(() => s.close());

  type Call = { method: 'get' | 'post'; path: string; body?: object; mutation: boolean };
  const accountLess = (sub: string): Call[] => [
    { method: 'get', path: '/api/subscriptions', mutation: false },
    { method: 'get', path: '/api/subscriptions/features', mutation: false },
    { method: 'get', path: '/api/subscriptions/identity', mutation: false },
    { method: 'get', path: '/api/subscriptions/merchants', mutation: false },
    { method: 'get', path: '/api/subscriptions/trial', mutation: false },
    { method: 'post', path: '/api/subscriptions/stripe/checkout-session', body: { price_id: tier.yearly.id, ...urls }, mutation: true },
    { method: 'post', path: '/api/subscriptions/stripe/portal-session', body: { return_url: urls.success_url }, mutation: true },
    { method: 'post', path: '/api/subscriptions/stripe/checkout-session-sync', body: { session_id: acmeSession }, mutation: true },
    { method: 'post', path: '/api/subscriptions/sync?allow_deletes=false', body: {}, mutation: true },
    { method: 'post', path: '/api/subscriptions/trial', body: { price_id: tier.monthly.id, quantity: 1 }, mutation: true },
    { method: 'post', path: `/api/subscriptions/${sub}/change`, body: { interval: 'year' }, mutation: true },
    { method: 'post', path: `/api/subscriptions/${sub}/cancel`, body: { timing: 'immediately' }, mutation: true },
    { method: 'post', path: `/api/subscriptions/${sub}/resume`, body: {}, mutation: true },
  ];
  const scoped = (account: string, sub: string): Call[] => {
    const base = `/api/accounts/${account}/subscriptions`;
    return [
      { method: 'get', path: base, mutation: false },
      { method: 'get', path: `${base}/features`, mutation: false },
      { method: 'get', path: `${base}/identity`, mutation: false },
      { method: 'get', path: `${base}/merchants`, mutation: false },
      { method: 'get', path: `${base}/trial`, mutation: false },
      { method: 'post', path: `${base}/stripe/checkout-session`, body: { price_id: tier.yearly.id, ...urls }, mutation: true },
      { method: 'post', path: `${base}/stripe/portal-session`, body: { return_url: urls.success_url }, mutation: true },
      { method: 'post', path: `${base}/stripe/checkout-session-sync`, body: { session_id: acmeSession }, mutation: true },
      { method: 'post', path: `${base}/sync?allow_deletes=false`, body: {}, mutation: true },
      { method: 'post', path: `${base}/trial`, body: { price_id: tier.monthly.id, quantity: 1 }, mutation: true },
      { method: 'post', path: `${base}/change`, body: { subscription_id: sub, interval: 'year' }, mutation: true },
      { method: 'post', path: `${base}/cancel`, body: { subscription_id: sub, timing: 'immediately' }, mutation: true },
      { method: 'post', path: `${base}/resume`, body: { subscription_id: sub }, mutation: true },
    ];
  };
  const send = (c: Call, token?: string): supertest.Test => {
    const req = c.method === 'get' ? s.http().get(c.path) : s.http().post(c.path).send(c.body ?? {});
    return token ? authed(req, token) : req;
  };

  /** Runs the calls and expects each to be refused as given; then nothing may have changed anywhere. */
  async function expectAllRefused(calls: Call[], token: string | undefined, status: number, code: string) {
    const before = await footprint(s);
    const stripeBefore = await s.stripe.subscriptions.retrieve(acmeSub);
    for (const c of calls) {
      const res = await send(c, token);
      try {
        expectError(res, status, code);
      } catch (error) {
        throw new Error(`${c.method.toUpperCase()} ${c.path}: ${(error as Error).message}`, { cause: error });
      }
    }
    expect(await footprint(s)).toEqual(before);
    const stripeAfter = await s.stripe.subscriptions.retrieve(acmeSub);
    expect(stripeAfter).toEqual(stripeBefore);
  }

  describe('authorization', () => {
    it('no token: 401 on every route of both sets', async () => {
      await expectAllRefused([...accountLess(acmeSub), ...scoped('ACME', acmeSub)], undefined, 401, 'missing_token');
    });

    it('a token that is not ours, or expired: 401', async () => {
      const forged = await accountToken({ acc: 'ACME', role: 'owner' }, { secret: 'another-secret-that-is-long-enough-0123456789' });
      await expectAllRefused(accountLess(acmeSub).slice(0, 1).concat(scoped('ACME', acmeSub).slice(-1)), forged, 401, 'invalid_token');
      const expired = await accountToken({ acc: 'ACME', role: 'owner' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
      await expectAllRefused(accountLess(acmeSub).slice(-1), expired, 401, 'token_expired');
    });

    it("another account's token on the account-scoped routes: 403 account_mismatch on every route", async () => {
      await expectAllRefused(scoped('ACME', acmeSub), await ownerToken('EVIL'), 403, 'account_mismatch');
    });

    it('a member (not the owner) of the account: reads answer, every mutation is 403 owner_role_required', async () => {
      const member = await memberToken('ACME');
      const calls = [...accountLess(acmeSub), ...scoped('ACME', acmeSub)];
      for (const c of calls.filter((c) => !c.mutation && !c.path.endsWith('/trial'))) {
        expect([c.path, (await send(c, member)).status]).toEqual([c.path, 200]);
      }
      await expectAllRefused(calls.filter((c) => c.mutation), member, 403, 'owner_role_required');
      // A token with no role at all is no owner either.
      await expectAllRefused(accountLess(acmeSub).filter((c) => c.mutation).slice(0, 2), await accountToken({ acc: 'ACME' }), 403, 'owner_role_required');
    });

    it("another account's subscription id on change, cancel and resume: 404 subscription_not_found, Stripe untouched", async () => {
      const evil = await ownerToken('EVIL');
      const bySubscription = (c: Call) => /change|cancel|resume/.test(c.path);
      await expectAllRefused([...accountLess(acmeSub).filter(bySubscription), ...scoped('EVIL', acmeSub).filter(bySubscription)], evil, 404, 'subscription_not_found');
      // An id that is nobody's gets the same answer.
      await expectAllRefused(accountLess('sub_DoesNotExist1').filter(bySubscription), evil, 404, 'subscription_not_found');
      // ACME's own subscription under another application is not found either.
      const otherApp = await ownerToken('ACME', { app: 'other-app' });
      await expectAllRefused(accountLess(acmeSub).filter(bySubscription), otherApp, 404, 'subscription_not_found');
    });

    it("another account's checkout session: 404 checkout_session_not_found", async () => {
      const calls: Call[] = [
        { method: 'post', path: '/api/subscriptions/stripe/checkout-session-sync', body: { session_id: acmeSession }, mutation: true },
        { method: 'post', path: '/api/accounts/EVIL/subscriptions/stripe/checkout-session-sync', body: { session_id: acmeSession }, mutation: true },
      ];
      await expectAllRefused(calls, await ownerToken('EVIL'), 404, 'checkout_session_not_found');
    });

    it("reads never show another account's data", async () => {
      const evil = await ownerToken('EVIL');
      expect((await send(accountLess(acmeSub)[0]!, evil)).body).toEqual({ data: [] });
      expect((await send(accountLess(acmeSub)[1]!, evil)).body).toEqual({ data: [] });
      expectError(await send(accountLess(acmeSub)[2]!, evil), 404, 'identity_not_found');
      expectError(await send(accountLess(acmeSub)[4]!, evil), 404, 'trial_not_found');
    });
  });

  describe('bad input: 4xx with a stable code, nothing created in Stripe or in our tables', () => {
    const post = async (path: string, body: object, account = 'EVIL', headers: Record<string, string> = {}) => authed(s.http().post(path), await ownerToken(account), headers).send(body);

    async function expectRefused(status: number, code: string, request: () => Promise<supertest.Response>) {
      const before = await footprint(s);
      const stripeBefore = await s.stripe.subscriptions.retrieve(acmeSub);
      expectError(await request(), status, code);
      expect(await footprint(s)).toEqual(before);
      expect(await s.stripe.subscriptions.retrieve(acmeSub)).toEqual(stripeBefore);
    }

    it('checkout-session (both route sets)', async () => {
      for (const path of ['/api/subscriptions/stripe/checkout-session', '/api/accounts/EVIL/subscriptions/stripe/checkout-session']) {
        await expectRefused(400, 'price_not_in_catalog', () => post(path, { price_id: 'price_Unknown0001', ...urls }));
        await expectRefused(400, 'price_not_in_catalog', () => post(path, { price_id: otherAppPrice.id, ...urls }));
        await expectRefused(400, 'price_not_found', () => post(path, { price_id: 'price_NotInStripe123', ...urls }));
        await expectRefused(400, 'price_inactive', () => post(path, { price_id: archived.id, ...urls }));
        await expectRefused(400, 'redirect_not_allowed', () => post(path, { price_id: tier.monthly.id, ...urls, success_url: 'https://evil.example/phish' }));
        await expectRefused(400, 'redirect_not_allowed', () => post(path, { price_id: tier.monthly.id, ...urls, cancel_url: 'http://app.example.com/cancel' }));
        await expectRefused(400, 'validation_failed', () => post(path, { price_id: tier.monthly.id, ...urls, quantity: 0 }));
        await expectRefused(400, 'validation_failed', () => post(path, { price_id: tier.monthly.id, ...urls, quantity: -3 }));
        await expectRefused(400, 'validation_failed', () => post(path, { price_id: tier.monthly.id, ...urls, quantity: 1.5 }));
        await expectRefused(400, 'validation_failed', () => post(path, { price_id: 'not-a-price', ...urls }));
        await expectRefused(400, 'validation_failed', () => post(path, { price_id: tier.monthly.id }));
        await expectRefused(400, 'validation_failed', () => post(path, { price_id: tier.monthly.id, ...urls, surprise: true }));
        await expectRefused(400, 'invalid_idempotency_key', () => post(path, { price_id: tier.monthly.id, ...urls }, 'EVIL', { 'idempotency-key': 'x'.repeat(256) }));
      }
    });

    it('a second live subscription to the same product: 409 already_subscribed, unless the application allows several', async () => {
      for (const path of ['/api/subscriptions/stripe/checkout-session', '/api/accounts/ACME/subscriptions/stripe/checkout-session']) {
        await expectRefused(409, 'already_subscribed', () => post(path, { price_id: tier.yearly.id, ...urls }, 'ACME'));
        await expectRefused(409, 'already_subscribed', () => post(path, { price_id: tier.monthly.id, ...urls }, 'ACME'));
      }
      // Another product is fine.
      const single = await post('/api/subscriptions/stripe/checkout-session', { price_id: monthlyOnly.id, ...urls }, 'ACME');
      expect(single.status).toBe(200);
      await setCatalog(s, 'default', [tier.monthly.id, tier.yearly.id, monthlyOnly.id, archived.id, 'price_NotInStripe123'], { allow_multiple_subscriptions_per_product: true });
      try {
        const again = await post('/api/subscriptions/stripe/checkout-session', { price_id: tier.yearly.id, ...urls }, 'ACME');
        expect(again.status).toBe(200);
      } finally {
        await setCatalog(s, 'default', [tier.monthly.id, tier.yearly.id, monthlyOnly.id, archived.id, 'price_NotInStripe123'], { allow_multiple_subscriptions_per_product: false });
      }
    });

    it('portal-session', async () => {
      await expectRefused(400, 'redirect_not_allowed', () => post('/api/subscriptions/stripe/portal-session', { return_url: 'https://evil.example/' }, 'ACME'));
      await expectRefused(400, 'validation_failed', () => post('/api/subscriptions/stripe/portal-session', { return_url: 'javascript:alert(1)' }, 'ACME'));
      await expectRefused(404, 'identity_not_found', () => post('/api/subscriptions/stripe/portal-session', { return_url: urls.success_url }, 'NOBODY'));
    });

    it('checkout-session-sync', async () => {
      for (const path of ['/api/subscriptions/stripe/checkout-session-sync', '/api/accounts/ACME/subscriptions/stripe/checkout-session-sync']) {
        await expectRefused(404, 'checkout_session_not_found', () => post(path, { session_id: 'cs_test_DoesNotExist' }, 'ACME'));
        await expectRefused(400, 'validation_failed', () => post(path, { session_id: 'sub_123' }, 'ACME'));
        await expectRefused(400, 'validation_failed', () => post(path, {}, 'ACME'));
      }
      // A session not paid yet has no subscription to show.
      const open = await post('/api/subscriptions/stripe/checkout-session', { price_id: tier.monthly.id, ...urls }, 'OPENER');
      expect(open.status).toBe(200);
      await expectRefused(409, 'checkout_not_complete', () => post('/api/subscriptions/stripe/checkout-session-sync', { session_id: open.body.id }, 'OPENER'));
    });

    it('change (both route sets)', async () => {
      const routes: [string, object][] = [
        [`/api/subscriptions/${acmeSub}/change`, {}],
        ['/api/accounts/ACME/subscriptions/change', { subscription_id: acmeSub }],
      ];
      for (const [path, id] of routes) {
        await expectRefused(400, 'validation_failed', () => post(path, { ...id, interval: 'week' }, 'ACME'));
        await expectRefused(400, 'validation_failed', () => post(path, { ...id, quantity: 0 }, 'ACME'));
        await expectRefused(400, 'validation_failed', () => post(path, { ...id, quantity: -1 }, 'ACME'));
        await expectRefused(400, 'validation_failed', () => post(path, { ...id, interval: 'year', proration_behavior: 'sometimes' }, 'ACME'));
        await expectRefused(400, 'nothing_to_change', () => post(path, { ...id }, 'ACME'));
        await expectRefused(400, 'conflicting_change', () => post(path, { ...id, interval: 'year', price_id: tier.yearly.id }, 'ACME'));
        await expectRefused(400, 'price_not_in_catalog', () => post(path, { ...id, price_id: otherAppPrice.id }, 'ACME'));
        await expectRefused(400, 'price_not_in_catalog', () => post(path, { ...id, price_id: 'price_Unknown0001' }, 'ACME'));
        await expectRefused(400, 'price_inactive', () => post(path, { ...id, price_id: archived.id }, 'ACME'));
      }
      expectError(await post('/api/accounts/ACME/subscriptions/change', { interval: 'year' }, 'ACME'), 400, 'validation_failed');
    });

    it('change by interval when the product has no price with that interval: 400 no_price_for_interval', async () => {
      const token = await ownerToken('SOLO');
      const checkout = await authed(s.http().post('/api/subscriptions/stripe/checkout-session'), token).send({ price_id: monthlyOnly.id, ...urls });
      await s.payCheckout(checkout.body.id);
      const synced = await authed(s.http().post('/api/subscriptions/stripe/checkout-session-sync'), token).send({ session_id: checkout.body.id });
      expect(synced.status).toBe(200);
      const before = await s.stripe.subscriptions.retrieve(synced.body.id);
      for (const request of [
        () => post(`/api/subscriptions/${synced.body.id}/change`, { interval: 'year' }, 'SOLO'),
        () => post('/api/accounts/SOLO/subscriptions/change', { subscription_id: synced.body.id, interval: 'year' }, 'SOLO'),
      ]) {
        await expectRefused(400, 'no_price_for_interval', request);
      }
      expect(await s.stripe.subscriptions.retrieve(synced.body.id)).toEqual(before);
    });

    it('cancel and resume (both route sets)', async () => {
      for (const [path, id] of [[`/api/subscriptions/${acmeSub}/cancel`, {}], ['/api/accounts/ACME/subscriptions/cancel', { subscription_id: acmeSub }]] as const) {
        await expectRefused(400, 'validation_failed', () => post(path, { ...id, timing: 'tomorrow' }, 'ACME'));
        await expectRefused(400, 'validation_failed', () => post(path, { ...id }, 'ACME'));
        await expectRefused(400, 'validation_failed', () => post(path, { ...id, timing: 'immediately', at: 'now' }, 'ACME'));
      }
      await expectRefused(400, 'validation_failed', () => post('/api/accounts/ACME/subscriptions/cancel', { subscription_id: 'nope', timing: 'immediately' }, 'ACME'));
      await expectRefused(409, 'not_scheduled_to_cancel', () => post(`/api/subscriptions/${acmeSub}/resume`, {}, 'ACME'));
      await expectRefused(409, 'not_scheduled_to_cancel', () => post('/api/accounts/ACME/subscriptions/resume', { subscription_id: acmeSub }, 'ACME'));
      await expectRefused(400, 'validation_failed', () => post('/api/accounts/ACME/subscriptions/resume', {}, 'ACME'));
    });

    it('trial and sync', async () => {
      for (const path of ['/api/subscriptions/trial', '/api/accounts/EVIL/subscriptions/trial']) {
        await expectRefused(400, 'validation_failed', () => post(path, { price_id: tier.monthly.id, quantity: 0 }));
        await expectRefused(400, 'validation_failed', () => post(path, { price_id: tier.monthly.id, quantity: -2 }));
        await expectRefused(400, 'validation_failed', () => post(path, { price_id: tier.monthly.id }));
        await expectRefused(400, 'price_not_in_catalog', () => post(path, { price_id: otherAppPrice.id, quantity: 1 }));
        await expectRefused(400, 'price_inactive', () => post(path, { price_id: archived.id, quantity: 1 }));
      }
      for (const path of ['/api/subscriptions/sync', '/api/accounts/ACME/subscriptions/sync']) {
        await expectRefused(400, 'validation_failed', () => post(`${path}?allow_deletes=maybe`, {}, 'ACME'));
        await expectRefused(400, 'validation_failed', () => post(`${path}?allow_deletes=1&other=2`, {}, 'ACME'));
      }
    });
  });
});
