import { createTier, type Tier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { describeSwagger } from './api-docs.js';
import { authed, expectError, expectMatchesStripe, ownerToken, setCatalog, sqlOf, urls } from './helpers.js';

/**
 * Seed 001's client-library flow, step by step through the account-less routes with an owner
 * token, and its key steps through AM's account-scoped routes. After each step the answer and the
 * mirror are compared with Stripe's own subscription.
 */
describe('the subscriptions API through a whole lifecycle', () => {
  let s: Stack;
  let tier: Tier;
  beforeAll(async () => {
    s = await startStack();
    tier = await createTier(s.stripe, 'standard', ['basic_features', 'reports']);
    // No webhook is applied until the end of the first test: the API must stand on its own.
    await setCatalog(s, 'default', [tier.monthly.id, tier.yearly.id]);
  });
  afterAll(() => s.close());

  const featureKeys = () => tier.features.map((f) => f.lookup_key).sort();

  it('account-less: list, features, merchants, checkout, pay, checkout-session-sync, change to yearly, cancel at period end, resume, cancel now', async () => {
    const token = await ownerToken('INITECH');
    const get = (path: string) => authed(s.http().get(`/api/subscriptions${path}`), token);
    const post = (path: string, body: object = {}) => authed(s.http().post(`/api/subscriptions${path}`), token).send(body);

    expect((await get('')).body).toEqual({ data: [] });
    expect((await get('/features')).body).toEqual({ data: [] });
    const merchants = await get('/merchants');
    expect(merchants.status).toBe(200);
    expect(merchants.body.data).toEqual([expect.objectContaining({ id: 'platform', charge_model: 'platform', status: 'active', has_identity: false })]);
    expectError(await get('/identity'), 404, 'identity_not_found');

    const checkout = await post('/stripe/checkout-session', { price_id: tier.monthly.id, ...urls, quantity: 2 });
    expect(checkout.status).toBe(200);
    expect(checkout.body).toEqual({ id: expect.stringMatching(/^cs_/), url: expect.stringMatching(/^http/) });
    const session = await s.stripe.checkout.sessions.retrieve(checkout.body.id, { expand: ['line_items'] });
    expect(session).toMatchObject({ mode: 'subscription', status: 'open', client_reference_id: 'INITECH', success_url: urls.success_url, cancel_url: urls.cancel_url });
    expect(session.line_items!.data).toEqual([expect.objectContaining({ quantity: 2, price: expect.objectContaining({ id: tier.monthly.id }) })]);
    const customer = await s.stripe.customers.retrieve(session.customer as string);
    expect(customer).toMatchObject({ metadata: { account_id: 'INITECH', application_id: 'default' } });
    // The customer exists from now on: identity and merchants say so.
    expect((await get('/identity')).body).toEqual({ account_id: 'INITECH', stripe_customer_id: customer.id, stripe_account: null, email: null, name: null });
    expect((await get('/merchants')).body.data[0].has_identity).toBe(true);

    expect((await s.payCheckout(checkout.body.id)).status).toBe('complete');
    const synced = await post('/stripe/checkout-session-sync', { session_id: checkout.body.id });
    expect(synced.status).toBe(200);
    expect(synced.body).toMatchObject({ status: 'active', application_id: 'default', merchant_id: 'platform', has_access: true, contracted: true, latest_invoice_status: 'paid' });
    const subId: string = synced.body.id;
    await expectMatchesStripe(s, synced.body);
    expect(synced.body.access_until).toBe(synced.body.current_period_end);
    expect((await get('')).body.data).toEqual([synced.body]);
    // The features of the product are granted at once, before any webhook.
    const features = await get('/features');
    expect(features.body.data.map((f: { lookup_key: string }) => f.lookup_key)).toEqual(featureKeys());
    expect(features.body.data[0]).toMatchObject({ subscription_id: subId, trial: false, access_until: synced.body.current_period_end });

    const yearly = await post(`/${subId}/change`, { interval: 'year' });
    expect(yearly.status).toBe(200);
    expect(yearly.body.items).toEqual([expect.objectContaining({ price_id: tier.yearly.id, quantity: 2 })]);
    const afterChange = await expectMatchesStripe(s, yearly.body);
    expect(afterChange.items.data[0]!.price.recurring?.interval).toBe('year');

    const periodEnd = await post(`/${subId}/cancel`, { timing: 'period_end' });
    expect(periodEnd.status).toBe(200);
    expect(periodEnd.body).toMatchObject({ status: 'active', cancel_at_period_end: true, has_access: true });
    await expectMatchesStripe(s, periodEnd.body);

    const resumed = await post(`/${subId}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ status: 'active', cancel_at_period_end: false });
    await expectMatchesStripe(s, resumed.body);
    expectError(await post(`/${subId}/resume`), 409, 'not_scheduled_to_cancel');

    const now = await post(`/${subId}/cancel`, { timing: 'immediately' });
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ status: 'canceled', has_access: false, contracted: false });
    expect(now.body.ended_at).not.toBeNull();
    await expectMatchesStripe(s, now.body);
    expect((await get('/features')).body).toEqual({ data: [] });
    expectError(await post(`/${subId}/cancel`, { timing: 'immediately' }), 409, 'subscription_ended');
    expectError(await post(`/${subId}/change`, { interval: 'month' }), 409, 'subscription_ended');

    // Every webhook of the story, applied afterwards, leaves the mirror where Stripe is.
    await s.settle();
    const [final] = (await get('')).body.data;
    await expectMatchesStripe(s, final);
    expect(final.status).toBe('canceled');
  });

  it('account-scoped: checkout, checkout-session-sync, change, cancel at period end, resume, cancel now, with subscription_id in the body', async () => {
    const token = await ownerToken('ACME');
    const base = '/api/accounts/ACME/subscriptions';
    const get = (path: string) => authed(s.http().get(`${base}${path}`), token);
    const post = (path: string, body: object = {}) => authed(s.http().post(`${base}${path}`), token).send(body);

    expect((await get('')).body).toEqual({ data: [] });
    const checkout = await post('/stripe/checkout-session', { price_id: tier.yearly.id, ...urls });
    expect(checkout.status).toBe(200);
    await s.payCheckout(checkout.body.id);
    const synced = await post('/stripe/checkout-session-sync', { session_id: checkout.body.id });
    expect(synced.status).toBe(200);
    expect(synced.body.status).toBe('active');
    await expectMatchesStripe(s, synced.body);
    const subscription_id: string = synced.body.id;

    const monthly = await post('/change', { subscription_id, interval: 'month', quantity: 3 });
    expect(monthly.status).toBe(200);
    expect(monthly.body.items).toEqual([expect.objectContaining({ price_id: tier.monthly.id, quantity: 3 })]);
    await expectMatchesStripe(s, monthly.body);

    const seats = await post('/change', { subscription_id, quantity: 5, proration_behavior: 'none' });
    expect(seats.status).toBe(200);
    expect(seats.body.items[0].quantity).toBe(5);
    await expectMatchesStripe(s, seats.body);

    const scheduled = await post('/cancel', { subscription_id, timing: 'period_end' });
    expect(scheduled.body.cancel_at_period_end).toBe(true);
    await expectMatchesStripe(s, scheduled.body);
    const resumed = await post('/resume', { subscription_id });
    expect(resumed.status).toBe(200);
    expect(resumed.body.cancel_at_period_end).toBe(false);
    await expectMatchesStripe(s, resumed.body);

    const list = await get('');
    expect(list.body.data).toEqual([resumed.body]);
    const identity = await get('/identity');
    expect(identity.body).toMatchObject({ account_id: 'ACME', stripe_customer_id: synced.body.customer_id });
    expect((await get('/features')).body.data.map((f: { lookup_key: string }) => f.lookup_key)).toEqual(featureKeys());

    const portal = await post('/stripe/portal-session', { return_url: `${urls.success_url}?from=portal` });
    expect(portal.status).toBe(200);
    expect(portal.body.url).toMatch(/^http/);

    const canceled = await post('/cancel', { subscription_id, timing: 'immediately' });
    expect(canceled.body.status).toBe('canceled');
    await expectMatchesStripe(s, canceled.body);

    // The other account's subscription was never touched.
    const others = await sqlOf(s)<{ account_id: string; n: string }>('select account_id, count(*) as n from subscriptions group by account_id order by account_id');
    expect(others.map((r) => [r.account_id, Number(r.n)])).toEqual([['ACME', 1], ['INITECH', 1]]);
  });

  describeSwagger(() => s);
});
