import type Stripe from 'stripe';
import { createTier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { authed, expectMatchesStripe, ORIGIN, ownerToken, sqlOf, urls } from './helpers.js';

/**
 * Where a purchase lands for each charge model: platform (our account), direct (the connected
 * account: every object is created with Stripe-Account), destination (our account, with a transfer
 * to the connected account and the platform's fee).
 */
describe('charge models: the subscription is created where the merchant sells', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(() => s.close());

  async function merchantWithApp(merchant: Record<string, unknown>, appId: string, prices: Stripe.Price[]) {
    const m = await s.admin(s.http().post('/admin/merchants')).send(merchant);
    expect(m.status).toBe(201);
    const a = await s.admin(s.http().post('/admin/applications')).send({ id: appId, name: appId, merchant_id: m.body.id, price_ids: prices.map((p) => p.id), allowed_origins: [ORIGIN] });
    expect(a.status).toBe(201);
  }

  /** Buys the price as `account` through the account-less routes, the application named by the token or the header. */
  async function buy(account: string, app: { claim?: string; header?: string }, price: Stripe.Price) {
    const token = await ownerToken(account, app.claim ? { app: app.claim } : {});
    const headers: Record<string, string> = app.header ? { 'x-application-id': app.header } : {};
    const checkout = await authed(s.http().post('/api/subscriptions/stripe/checkout-session'), token, headers).send({ price_id: price.id, ...urls });
    expect(checkout.status).toBe(200);
    await s.payCheckout(checkout.body.id);
    const synced = await authed(s.http().post('/api/subscriptions/stripe/checkout-session-sync'), token, headers).send({ session_id: checkout.body.id });
    expect(synced.status).toBe(200);
    return { token, headers, sessionId: checkout.body.id as string, view: synced.body };
  }

  it('direct: customer, session and subscription live on the connected account, with the platform fee', async () => {
    const acct = await s.connectedAccount('acct_DirectShop01');
    const tier = await createTier(s.stripe, 'direct_plan', ['direct_feature'], { stripeAccount: acct });
    await merchantWithApp({ id: 'direct-shop', display_name: 'Direct Shop', charge_model: 'direct', stripe_account_id: acct, application_fee_percent: 10 }, 'direct-app', [tier.monthly, tier.yearly]);

    const { token, sessionId, view } = await buy('ACME', { claim: 'direct-app' }, tier.monthly);
    expect(view).toMatchObject({ status: 'active', application_id: 'direct-app', merchant_id: 'direct-shop' });
    const sub = await expectMatchesStripe(s, view, { stripeAccount: acct });
    expect(sub.application_fee_percent).toBe(10);
    expect(sub.transfer_data).toBeNull();
    expect(sub.metadata).toMatchObject({ account_id: 'ACME', application_id: 'direct-app' });

    // Visible with Stripe-Account, invisible without.
    await expect(s.stripe.subscriptions.retrieve(view.id)).rejects.toMatchObject({ statusCode: 404 });
    await expect(s.stripe.checkout.sessions.retrieve(sessionId)).rejects.toMatchObject({ statusCode: 404 });
    await expect(s.stripe.customers.retrieve(view.customer_id)).rejects.toMatchObject({ statusCode: 404 });
    expect((await s.stripe.customers.retrieve(view.customer_id, {}, { stripeAccount: acct })).id).toBe(view.customer_id);

    const [row] = await sqlOf(s)<{ stripe_account: string; merchant_id: string }>('select stripe_account, merchant_id from subscriptions where id = ?', [view.id]);
    expect(row).toEqual({ stripe_account: acct, merchant_id: 'direct-shop' });
    const identity = await authed(s.http().get('/api/subscriptions/identity'), token);
    expect(identity.body).toMatchObject({ account_id: 'ACME', stripe_customer_id: view.customer_id, stripe_account: acct });
    const merchants = await authed(s.http().get('/api/subscriptions/merchants'), token);
    expect(merchants.body.data).toEqual([expect.objectContaining({ id: 'direct-shop', charge_model: 'direct', has_identity: true })]);
    const features = await authed(s.http().get('/api/subscriptions/features'), token);
    expect(features.body.data.map((f: { lookup_key: string }) => f.lookup_key)).toEqual([tier.features[0]!.lookup_key]);

    // Changes and cancellations are made on the connected account too.
    const yearly = await authed(s.http().post(`/api/subscriptions/${view.id}/change`), token).send({ interval: 'year' });
    expect(yearly.status).toBe(200);
    expect(yearly.body.items[0].price_id).toBe(tier.yearly.id);
    await expectMatchesStripe(s, yearly.body, { stripeAccount: acct });
    const canceled = await authed(s.http().post(`/api/subscriptions/${view.id}/cancel`), token).send({ timing: 'immediately' });
    expect(canceled.body.status).toBe('canceled');
    await expectMatchesStripe(s, canceled.body, { stripeAccount: acct });

    // The same account under the default application sees none of it.
    const other = await authed(s.http().get('/api/subscriptions'), await ownerToken('ACME'));
    expect(other.body).toEqual({ data: [] });
  });

  it('direct without a fee: no application_fee_percent on the subscription', async () => {
    const acct = await s.connectedAccount('acct_DirectNoFee02');
    const tier = await createTier(s.stripe, 'nofee_plan', [], { stripeAccount: acct });
    await merchantWithApp({ id: 'nofee-shop', display_name: 'No Fee Shop', charge_model: 'direct', stripe_account_id: acct }, 'nofee-app', [tier.monthly]);
    const { view } = await buy('ACME', { header: 'nofee-app' }, tier.monthly);
    const sub = await expectMatchesStripe(s, view, { stripeAccount: acct });
    expect(sub.application_fee_percent).toBeNull();
  });

  it('destination: on the platform, with transfer_data.destination and application_fee_percent', async () => {
    const acct = await s.connectedAccount('acct_DestShop03');
    const tier = await createTier(s.stripe, 'dest_plan', ['dest_feature']);
    await merchantWithApp({ id: 'dest-shop', display_name: 'Destination Shop', charge_model: 'destination', stripe_account_id: acct, application_fee_percent: 5 }, 'dest-app', [tier.monthly]);

    const { token, view } = await buy('GLOBEX', { header: 'dest-app' }, tier.monthly);
    expect(view).toMatchObject({ status: 'active', application_id: 'dest-app', merchant_id: 'dest-shop' });
    const sub = await expectMatchesStripe(s, view);
    expect(sub.transfer_data).toMatchObject({ destination: acct });
    expect(sub.application_fee_percent).toBe(5);
    await expect(s.stripe.subscriptions.retrieve(view.id, {}, { stripeAccount: acct })).rejects.toMatchObject({ statusCode: 404 });
    const [row] = await sqlOf(s)<{ stripe_account: string }>('select stripe_account from subscriptions where id = ?', [view.id]);
    expect(row!.stripe_account).toBe('platform');
    const identity = await authed(s.http().get('/api/subscriptions/identity'), token, { 'x-application-id': 'dest-app' });
    expect(identity.body).toMatchObject({ stripe_customer_id: view.customer_id, stripe_account: null });
  });

  it('platform: on the platform, no transfer and no fee', async () => {
    const tier = await createTier(s.stripe, 'own_plan', []);
    await merchantWithApp({ id: 'own-store', display_name: 'Own Store', charge_model: 'platform' }, 'own-app', [tier.monthly]);
    const { view } = await buy('GLOBEX', { claim: 'own-app' }, tier.monthly);
    expect(view).toMatchObject({ status: 'active', application_id: 'own-app', merchant_id: 'own-store' });
    const sub = await expectMatchesStripe(s, view);
    expect(sub.transfer_data).toBeNull();
    expect(sub.application_fee_percent).toBeNull();
  });

  // As Stripe, the emulator knows only connected accounts that were created: a merchant whose
  // stripe_account_id names another id fails where the service first sends it, with a code that
  // says so (and without Stripe's message, which quotes the start of the key).
  it("direct, on a connected account never created: the application's prices are refused with stripe_account_inaccessible, then accepted once the account exists", async () => {
    const acct = 'acct_NotCreatedYet04';
    expect((await s.admin(s.http().post('/admin/merchants')).send({ id: 'early-shop', display_name: 'Early Shop', charge_model: 'direct', stripe_account_id: acct })).status).toBe(201);
    const application = { id: 'early-app', name: 'early-app', merchant_id: 'early-shop', allowed_origins: [ORIGIN] };
    const refused = await s.admin(s.http().post('/admin/applications')).send({ ...application, price_ids: ['price_1EarlyShopPlan'] });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'stripe_account_inaccessible']);
    expect(JSON.stringify(refused.body)).not.toContain('sk_');

    await s.connectedAccount(acct);
    const tier = await createTier(s.stripe, 'early_plan', [], { stripeAccount: acct });
    expect((await s.admin(s.http().post('/admin/applications')).send({ ...application, price_ids: [tier.monthly.id] })).status).toBe(201);
    const { view } = await buy('EARLY', { header: 'early-app' }, tier.monthly);
    expect(view).toMatchObject({ status: 'active', merchant_id: 'early-shop' });
    await expectMatchesStripe(s, view, { stripeAccount: acct });
  });

  it('destination, to a connected account never created: checkout is refused with stripe_account_inaccessible, then succeeds once the account exists', async () => {
    const acct = 'acct_NotCreatedYet05';
    const tier = await createTier(s.stripe, 'late_dest_plan', []);
    await merchantWithApp({ id: 'late-dest', display_name: 'Late Destination', charge_model: 'destination', stripe_account_id: acct }, 'late-dest-app', [tier.monthly]);
    const token = await ownerToken('LATE', { app: 'late-dest-app' });
    const refused = await authed(s.http().post('/api/subscriptions/stripe/checkout-session'), token).send({ price_id: tier.monthly.id, ...urls });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'stripe_account_inaccessible']);
    expect(JSON.stringify(refused.body)).not.toContain('sk_');

    await s.connectedAccount(acct);
    const { view } = await buy('LATE', { claim: 'late-dest-app' }, tier.monthly);
    expect(view).toMatchObject({ status: 'active', merchant_id: 'late-dest' });
    expect((await expectMatchesStripe(s, view)).transfer_data).toMatchObject({ destination: acct });
  });

  it('a token naming one application and a header naming another is refused', async () => {
    const token = await ownerToken('ACME', { app: 'direct-app' });
    const res = await authed(s.http().get('/api/subscriptions'), token, { 'x-application-id': 'dest-app' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('application_mismatch');
    const unknown = await authed(s.http().get('/api/subscriptions'), await ownerToken('ACME', { app: 'no-such-app' }));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('application_not_found');
  });
});
