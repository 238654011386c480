import { createBillingClient, type BillingClient, type BillingClientOptions, type Subscription } from '@billing/client';
import { createTier, type Tier } from '../../test/support/catalog.js';
import { startStack, type Stack } from '../../test/support/stack.js';
import { memberToken, ownerToken, setCatalog, urls } from '../../test/subscriptions/helpers.js';
import { failure } from './support.js';

/** The requests a client sent, as the service received them (method, path with query, headers). */
interface Sent {
  method: string;
  path: string;
  headers: Headers;
}

/**
 * The account side of the client (seed 001's `api.subscriptions.*`) against the running service on
 * a real database with the Stripe emulator: every method, on the account-less routes and, with
 * `accountId`, on the account-scoped ones; the errors a billing page must handle, as typed
 * BillingApiErrors; the token as a function; idempotency keys; X-Application-Id.
 */
describe('@billing/client: subscriptions', () => {
  let s: Stack;
  let tier: Tier;
  let trialTier: Tier;
  let offCatalog: Tier;

  beforeAll(async () => {
    s = await startStack();
    tier = await createTier(s.stripe, 'standard', ['basic_features', 'reports']);
    trialTier = await createTier(s.stripe, 'trialplan', ['trial_a']);
    offCatalog = await createTier(s.stripe, 'unsold', ['unsold_feature']);
    await setCatalog(s, 'default', [tier.monthly.id, tier.yearly.id, trialTier.monthly.id], { trial_days: 7 });
  });
  afterAll(() => s.close());

  /** A client on the running service that records what it sends (through the injected fetch). */
  const clientFor = (options: Omit<BillingClientOptions, 'baseUrl'>): { api: BillingClient; sent: Sent[] } => {
    const sent: Sent[] = [];
    const api = createBillingClient({
      baseUrl: s.baseUrl,
      ...options,
      fetch: (request) => {
        const url = new URL(request.url);
        sent.push({ method: request.method, path: `${url.pathname}${url.search}`, headers: new Headers(request.headers) });
        return fetch(request);
      },
    });
    return { api, sent };
  };
  const featureKeys = (t: Tier) => t.features.map((f) => f.lookup_key).sort();

  it("seed 001's flow, account-less: list, features, merchants, identity, checkout, pay, sync the session, change to yearly, cancel at period end, resume, seats, price, sync, portal, cancel now", async () => {
    // The token as the billing page gets it: from its host app, before each request.
    let tokenCalls = 0;
    const { api, sent } = clientFor({
      token: async () => {
        tokenCalls++;
        return ownerToken('INITECH');
      },
    });

    expect(await api.subscriptions.list()).toEqual([]);
    expect(await api.subscriptions.features()).toEqual([]);
    expect(await api.subscriptions.merchants()).toEqual([expect.objectContaining({ id: 'platform', charge_model: 'platform', status: 'active', has_identity: false })]);
    expect(await failure(api.subscriptions.identity())).toMatchObject({ status: 404, code: 'identity_not_found' });

    // Stripe puts the session id in the success URL for the page to sync it (as the README shows).
    const successUrl = `${urls.success_url}?session_id={CHECKOUT_SESSION_ID}`;
    const checkout = await api.subscriptions.createCheckoutSession({ price_id: tier.monthly.id, success_url: successUrl, cancel_url: urls.cancel_url, quantity: 2 });
    expect(checkout).toEqual({ id: expect.stringMatching(/^cs_/), url: expect.stringMatching(/^http/) });
    const session = await s.stripe.checkout.sessions.retrieve(checkout.id, { expand: ['line_items'] });
    expect(session).toMatchObject({ mode: 'subscription', status: 'open', client_reference_id: 'INITECH', success_url: successUrl });
    expect(session.line_items!.data).toEqual([expect.objectContaining({ quantity: 2, price: expect.objectContaining({ id: tier.monthly.id }) })]);
    // Not paid yet: nothing to sync.
    expect(await failure(api.subscriptions.syncCheckoutSession(checkout.id))).toMatchObject({ status: 409, code: 'checkout_not_complete' });

    // The browser goes to checkout.url and pays; Stripe redirects back to success_url.
    expect((await s.payCheckout(checkout.id)).status).toBe('complete');
    const sub: Subscription = await api.subscriptions.syncCheckoutSession(checkout.id);
    expect(sub).toMatchObject({ status: 'active', application_id: 'default', merchant_id: 'platform', has_access: true, contracted: true });
    expect(sub.items).toEqual([expect.objectContaining({ price_id: tier.monthly.id, quantity: 2 })]);
    expect(await api.subscriptions.list()).toEqual([sub]);
    const features = await api.subscriptions.features();
    expect(features.map((f) => f.lookup_key).sort()).toEqual(featureKeys(tier));
    expect(features[0]).toMatchObject({ subscription_id: sub.id, trial: false, access_until: sub.current_period_end });
    expect(await api.subscriptions.identity()).toEqual({ account_id: 'INITECH', stripe_customer_id: session.customer, stripe_account: null, email: null, name: null });
    expect((await api.subscriptions.merchants())[0]!.has_identity).toBe(true);

    const yearly = await api.subscriptions.change(sub.id, { interval: 'year' });
    expect(yearly.items).toEqual([expect.objectContaining({ price_id: tier.yearly.id, quantity: 2 })]);
    expect((await s.stripe.subscriptions.retrieve(sub.id)).items.data[0]!.price.recurring?.interval).toBe('year');

    const atPeriodEnd = await api.subscriptions.cancel(sub.id, { timing: 'period_end' });
    expect(atPeriodEnd).toMatchObject({ status: 'active', cancel_at_period_end: true, has_access: true });
    expect((await s.stripe.subscriptions.retrieve(sub.id)).cancel_at_period_end).toBe(true);
    const resumed = await api.subscriptions.resume(sub.id);
    expect(resumed).toMatchObject({ status: 'active', cancel_at_period_end: false });
    expect((await s.stripe.subscriptions.retrieve(sub.id)).cancel_at_period_end).toBe(false);
    expect(await failure(api.subscriptions.resume(sub.id))).toMatchObject({ status: 409, code: 'not_scheduled_to_cancel' });

    const seats = await api.subscriptions.change(sub.id, { quantity: 5, proration_behavior: 'none' });
    expect(seats.items[0]).toMatchObject({ quantity: 5 });
    const monthly = await api.subscriptions.change(sub.id, { price_id: tier.monthly.id });
    expect(monthly.items[0]).toMatchObject({ price_id: tier.monthly.id, quantity: 5 });

    const synced = await api.subscriptions.sync({ allowDeletes: false });
    expect(synced).toMatchObject({ created: 0, deleted: 0, missing: 0 });
    expect(synced.data.map((v) => v.id)).toEqual([sub.id]);
    expect((await api.subscriptions.sync()).data).toHaveLength(1);

    const portal = await api.subscriptions.createPortalSession({ return_url: `${urls.success_url}?from=portal` });
    expect(portal.url).toMatch(/^http/);

    const canceled = await api.subscriptions.cancel(sub.id, { timing: 'immediately' });
    expect(canceled).toMatchObject({ status: 'canceled', has_access: false, contracted: false });
    expect((await s.stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
    expect(await api.subscriptions.features()).toEqual([]);
    expect(await failure(api.subscriptions.change(sub.id, { interval: 'month' }))).toMatchObject({ status: 409, code: 'subscription_ended' });

    // Every request went to the account-less routes, with the token of the moment.
    expect(new Set(sent.map((r) => r.path.split('?')[0]!.split('/').slice(0, 3).join('/')))).toEqual(new Set(['/api/subscriptions']));
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        `POST /api/subscriptions/${sub.id}/change`,
        `POST /api/subscriptions/${sub.id}/cancel`,
        `POST /api/subscriptions/${sub.id}/resume`,
        'POST /api/subscriptions/sync?allow_deletes=false',
        'POST /api/subscriptions/stripe/checkout-session-sync',
      ]),
    );
    expect(tokenCalls).toBe(sent.length);
    for (const r of sent) expect(r.headers.get('authorization')).toMatch(/^Bearer ey/);
    // Left unset, no application header: the token or DEFAULT_APPLICATION_ID decides.
    expect(sent.filter((r) => r.headers.has('x-application-id'))).toEqual([]);
  });

  it('with accountId, the account-scoped routes: every method, subscription ids in the body', async () => {
    const { api, sent } = clientFor({ token: await ownerToken('ACME'), accountId: 'ACME' });
    expect(await api.subscriptions.list()).toEqual([]);
    expect(await api.subscriptions.features()).toEqual([]);
    expect((await api.subscriptions.merchants()).map((m) => m.id)).toEqual(['platform']);
    expect(await failure(api.subscriptions.trial())).toMatchObject({ status: 404, code: 'trial_not_found' });

    const checkout = await api.subscriptions.createCheckoutSession({ price_id: tier.yearly.id, ...urls });
    await s.payCheckout(checkout.id);
    const sub = await api.subscriptions.syncCheckoutSession(checkout.id);
    expect(sub).toMatchObject({ status: 'active', items: [expect.objectContaining({ price_id: tier.yearly.id })] });
    expect((await api.subscriptions.identity()).account_id).toBe('ACME');
    expect((await api.subscriptions.features()).map((f) => f.lookup_key).sort()).toEqual(featureKeys(tier));

    expect((await api.subscriptions.change(sub.id, { interval: 'month', quantity: 3 })).items[0]).toMatchObject({ price_id: tier.monthly.id, quantity: 3 });
    expect((await api.subscriptions.cancel(sub.id, { timing: 'period_end' })).cancel_at_period_end).toBe(true);
    expect((await api.subscriptions.resume(sub.id)).cancel_at_period_end).toBe(false);
    expect(await api.subscriptions.sync({ allowDeletes: true })).toMatchObject({ created: 0, deleted: 0, data: [expect.objectContaining({ id: sub.id })] });
    expect((await api.subscriptions.createPortalSession({ return_url: urls.success_url })).url).toMatch(/^http/);

    const trial = await api.subscriptions.startTrial({ price_id: trialTier.monthly.id, quantity: 3 });
    expect(trial).toMatchObject({ application_id: 'default', price_id: trialTier.monthly.id, product_id: trialTier.product.id, trial_quantity: 3, active: true });
    expect(await api.subscriptions.trial()).toEqual(trial);
    expect(await failure(api.subscriptions.startTrial({ price_id: trialTier.monthly.id, quantity: 1 }))).toMatchObject({ status: 409, code: 'trial_already_used' });
    expect((await api.subscriptions.features()).map((f) => f.lookup_key).sort()).toEqual([...featureKeys(tier), ...featureKeys(trialTier)].sort());

    expect((await api.subscriptions.cancel(sub.id, { timing: 'immediately' })).status).toBe('canceled');

    const paths = sent.map((r) => `${r.method} ${r.path}`);
    expect(paths.every((p) => p.includes(' /api/accounts/ACME/subscriptions'))).toBe(true);
    expect(paths).toEqual(expect.arrayContaining(['POST /api/accounts/ACME/subscriptions/change', 'POST /api/accounts/ACME/subscriptions/cancel', 'POST /api/accounts/ACME/subscriptions/resume', 'POST /api/accounts/ACME/subscriptions/sync?allow_deletes=true', 'GET /api/accounts/ACME/subscriptions/trial']));
  });

  it("the billing page's reads: catalog, invoices, account, and a change's preview on both route sets, changing nothing", async () => {
    const owner = await ownerToken('CLIENT-READS');
    const { api } = clientFor({ token: owner });
    // The catalog is read from the mirror: the prices' webhooks are applied first.
    await s.settle();
    const catalog = await api.subscriptions.catalog();
    expect(catalog.map((p) => p.price_id).sort()).toEqual([tier.monthly.id, tier.yearly.id, trialTier.monthly.id].sort());
    expect(await api.subscriptions.account()).toMatchObject({ account_id: 'CLIENT-READS', application_id: 'default', is_owner: true });
    expect(await api.subscriptions.invoices()).toEqual([]);

    const session = await api.subscriptions.createCheckoutSession({ price_id: tier.monthly.id, ...urls });
    await s.payCheckout(session.id);
    const sub = await api.subscriptions.syncCheckoutSession(session.id);
    const invoices = await api.subscriptions.invoices();
    expect(invoices).toEqual([expect.objectContaining({ status: 'paid', subscription_id: sub.id })]);

    const preview = await api.subscriptions.previewChange(sub.id, { quantity: 3 });
    expect(preview).toMatchObject({ subscription_id: sub.id, quantity: 3, currency: tier.monthly.currency });
    const scoped = await clientFor({ token: owner, accountId: 'CLIENT-READS' }).api.subscriptions.previewChange(sub.id, { interval: 'year' });
    expect(scoped).toMatchObject({ subscription_id: sub.id, price_id: tier.yearly.id });
    expect((await s.stripe.subscriptions.retrieve(sub.id)).items.data[0]).toMatchObject({ quantity: 1, price: expect.objectContaining({ id: tier.monthly.id }) });

    const member = clientFor({ token: await memberToken('CLIENT-READS') }).api;
    expect(await member.subscriptions.account()).toMatchObject({ is_owner: false });
    expect((await member.subscriptions.previewChange(sub.id, { quantity: 2 })).quantity).toBe(2);
  });

  it('a platform trial through the account-less routes', async () => {
    const { api } = clientFor({ token: await ownerToken('TRIALCO') });
    expect(await failure(api.subscriptions.trial())).toMatchObject({ status: 404, code: 'trial_not_found' });
    const trial = await api.subscriptions.startTrial({ price_id: trialTier.monthly.id, quantity: 2, name: 'Trial K.K.', locale: 'ja' });
    expect(trial).toMatchObject({ trial_quantity: 2, active: true });
    expect(new Date(trial.trial_end).getTime() - new Date(trial.trial_start).getTime()).toBe(7 * 86_400_000);
    expect(await api.subscriptions.trial()).toEqual(trial);
    expect(await api.subscriptions.features()).toEqual([{ lookup_key: trialTier.features[0]!.lookup_key, name: expect.any(String), subscription_id: null, trial: true, access_until: trial.trial_end }]);
    expect(await api.subscriptions.identity()).toMatchObject({ account_id: 'TRIALCO', name: 'Trial K.K.' });
  });

  describe('errors are thrown as BillingApiError with the API code, status, message and request id', () => {
    it('price_not_in_catalog (400)', async () => {
      const { api, sent } = clientFor({ token: await ownerToken('ERRCO') });
      const error = await failure(api.subscriptions.createCheckoutSession({ price_id: offCatalog.monthly.id, ...urls }));
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ name: 'BillingApiError', status: 400, code: 'price_not_in_catalog', retryAfter: undefined });
      expect(error.message).toContain(offCatalog.monthly.id);
      // The id the service logged the request under, from the x-request-id header (the body says the same).
      expect(error.requestId).toEqual(expect.any(String));
      expect(error.body).toEqual({ error: expect.objectContaining({ code: 'price_not_in_catalog', request_id: error.requestId }) });
      expect(sent).toHaveLength(1);
    });

    it('validation_failed (400) carries the fields in details', async () => {
      const { api } = clientFor({ token: await ownerToken('ERRCO') });
      const error = await failure(api.subscriptions.createCheckoutSession({ price_id: tier.monthly.id, ...urls, quantity: 0 }));
      expect(error).toMatchObject({ status: 400, code: 'validation_failed', details: { fields: { quantity: [expect.any(String)] } } });
    });

    it('owner_role_required (403): a member reads but may not buy or change', async () => {
      const { api } = clientFor({ token: await memberToken('ERRCO') });
      expect(await api.subscriptions.list()).toEqual([]);
      expect(await failure(api.subscriptions.createCheckoutSession({ price_id: tier.monthly.id, ...urls }))).toMatchObject({ status: 403, code: 'owner_role_required' });
      expect(await failure(api.subscriptions.startTrial({ price_id: trialTier.monthly.id, quantity: 1 }))).toMatchObject({ status: 403, code: 'owner_role_required' });
    });

    it("account_mismatch (403): the account-scoped routes of another account than the token's", async () => {
      const { api } = clientFor({ token: await ownerToken('ERRCO'), accountId: 'ACME' });
      expect(await failure(api.subscriptions.list())).toMatchObject({ status: 403, code: 'account_mismatch' });
      expect(await failure(api.subscriptions.change('sub_anything', { interval: 'year' }))).toMatchObject({ status: 403, code: 'account_mismatch' });
    });

    it("subscription_not_found (404): another account's subscription, through either route set", async () => {
      const owner = clientFor({ token: await ownerToken('VICTIM') }).api;
      const checkout = await owner.subscriptions.createCheckoutSession({ price_id: tier.monthly.id, ...urls });
      await s.payCheckout(checkout.id);
      const theirs = await owner.subscriptions.syncCheckoutSession(checkout.id);

      const other = clientFor({ token: await ownerToken('INTRUDER') }).api;
      for (const attempt of [other.subscriptions.change(theirs.id, { interval: 'year' }), other.subscriptions.cancel(theirs.id, { timing: 'immediately' }), other.subscriptions.resume(theirs.id)]) {
        expect(await failure(attempt)).toMatchObject({ status: 404, code: 'subscription_not_found' });
      }
      const scoped = clientFor({ token: await ownerToken('INTRUDER'), accountId: 'INTRUDER' }).api;
      expect(await failure(scoped.subscriptions.cancel(theirs.id, { timing: 'immediately' }))).toMatchObject({ status: 404, code: 'subscription_not_found' });
      // Someone else's checkout session is not found either.
      expect(await failure(other.subscriptions.syncCheckoutSession(checkout.id))).toMatchObject({ status: 404 });
      // Nothing changed in Stripe.
      expect((await s.stripe.subscriptions.retrieve(theirs.id)).status).toBe('active');
    });

    it('missing_token / invalid_token (401)', async () => {
      expect(await failure(clientFor({}).api.subscriptions.list())).toMatchObject({ status: 401, code: 'missing_token' });
      // A token function that has none sends no Authorization header.
      expect(await failure(clientFor({ token: () => undefined }).api.subscriptions.list())).toMatchObject({ status: 401, code: 'missing_token' });
      expect(await failure(clientFor({ token: 'not-a-jwt' }).api.subscriptions.features())).toMatchObject({ status: 401, code: 'invalid_token' });
    });

    it("a failing token function rejects with the host app's own error, and nothing is sent", async () => {
      const { api, sent } = clientFor({
        token: () => {
          throw new Error('session expired in the host app');
        },
      });
      await expect(api.subscriptions.list()).rejects.toThrow('session expired in the host app');
      expect(sent).toEqual([]);
    });
  });

  it('idempotencyKey: a retried checkout with the same key is the same session; another key makes another', async () => {
    const { api, sent } = clientFor({ token: await ownerToken('RETRYCO') });
    const params = { price_id: tier.monthly.id, ...urls };
    const first = await api.subscriptions.createCheckoutSession(params, { idempotencyKey: 'checkout-attempt-1' });
    const retried = await api.subscriptions.createCheckoutSession(params, { idempotencyKey: 'checkout-attempt-1' });
    const other = await api.subscriptions.createCheckoutSession(params, { idempotencyKey: 'checkout-attempt-2' });
    expect(retried.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
    expect(sent.map((r) => r.headers.get('idempotency-key'))).toEqual(['checkout-attempt-1', 'checkout-attempt-1', 'checkout-attempt-2']);
    // The same key for another request is refused rather than answered with the first one's session.
    expect(await failure(api.subscriptions.createCheckoutSession({ ...params, quantity: 3 }, { idempotencyKey: 'checkout-attempt-1' }))).toMatchObject({ status: 409, code: 'idempotency_conflict' });

    // Change, cancel and resume send it too; the service checks it.
    await s.payCheckout(first.id);
    const sub = await api.subscriptions.syncCheckoutSession(first.id);
    const cancel = await api.subscriptions.cancel(sub.id, { timing: 'period_end' }, { idempotencyKey: 'cancel-1' });
    expect((await api.subscriptions.cancel(sub.id, { timing: 'period_end' }, { idempotencyKey: 'cancel-1' })).cancel_at_period_end).toBe(cancel.cancel_at_period_end);
    expect((await api.subscriptions.resume(sub.id, { idempotencyKey: 'resume-1' })).cancel_at_period_end).toBe(false);
    expect((await api.subscriptions.change(sub.id, { quantity: 4 }, { idempotencyKey: 'seats-4' })).items[0]!.quantity).toBe(4);
    expect(sent.slice(-4).map((r) => r.headers.get('idempotency-key'))).toEqual(['cancel-1', 'cancel-1', 'resume-1', 'seats-4']);
    expect(await failure(api.subscriptions.change(sub.id, { quantity: 5 }, { idempotencyKey: 'x'.repeat(256) }))).toMatchObject({ status: 400, code: 'invalid_idempotency_key' });
    // Without a key, none is sent.
    await api.subscriptions.list();
    expect(sent.at(-1)!.headers.has('idempotency-key')).toBe(false);
  });

  it('applicationId is sent as X-Application-Id and chooses the catalog', async () => {
    const admin = createBillingClient({ baseUrl: s.baseUrl, token: s.config.ADMIN_TOKEN });
    const otherTier = await createTier(s.stripe, 'other', ['other_feature']);
    await admin.admin.applications.create({ id: 'other-app', name: 'Other app', merchant_id: 'platform', price_ids: [otherTier.monthly.id], allowed_origins: [new URL(urls.success_url).origin] });

    const token = await ownerToken('MULTICO');
    const byDefault = clientFor({ token }).api;
    expect(await failure(byDefault.subscriptions.createCheckoutSession({ price_id: otherTier.monthly.id, ...urls }))).toMatchObject({ status: 400, code: 'price_not_in_catalog' });

    const { api, sent } = clientFor({ token, applicationId: 'other-app' });
    const checkout = await api.subscriptions.createCheckoutSession({ price_id: otherTier.monthly.id, ...urls });
    expect((await s.stripe.checkout.sessions.retrieve(checkout.id)).metadata).toMatchObject({ application_id: 'other-app' });
    expect(await failure(api.subscriptions.createCheckoutSession({ price_id: tier.monthly.id, ...urls }))).toMatchObject({ status: 400, code: 'price_not_in_catalog' });
    expect(sent.map((r) => r.headers.get('x-application-id'))).toEqual(['other-app', 'other-app']);

    // A token whose app claim names another application than the header is refused.
    const claimed = clientFor({ token: await ownerToken('MULTICO', { app: 'default' }), applicationId: 'other-app' }).api;
    expect(await failure(claimed.subscriptions.list())).toMatchObject({ status: 403, code: 'application_mismatch' });
  });

  it('the method signatures follow the document (checked by the type-check)', () => {
    const api = createBillingClient({ baseUrl: s.baseUrl });
    const unused = () => {
      // @ts-expect-error: the document knows no "week" interval
      void api.subscriptions.change('sub_1', { interval: 'week' });
      // @ts-expect-error: success_url and cancel_url are required
      void api.subscriptions.createCheckoutSession({ price_id: 'price_1' });
      // @ts-expect-error: timing is required
      void api.subscriptions.cancel('sub_1', {});
      // quantity is optional (the service's default is 1), as in seed 001's call.
      void api.subscriptions.createCheckoutSession({ price_id: 'price_1', success_url: urls.success_url, cancel_url: urls.cancel_url });
    };
    expect(typeof unused).toBe('function');
  });
});
