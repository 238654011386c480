import { createBillingClient, type BillingClient } from '@billing/client';
import { createTier, type Tier } from '../../test/support/catalog.js';
import { startStack, type Stack } from '../../test/support/stack.js';
import { ORIGIN, ownerToken, urls } from '../../test/subscriptions/helpers.js';
import { failure } from './support.js';

/**
 * The partner and admin sides of the client against the running service: an operator sets up a
 * merchant, an application, its catalog and a partner key through `api.admin`; an account buys;
 * the partner looks the company's contract up through `api.partner`; the operator inspects and
 * replays webhook events, reconciles and syncs the catalog. Every admin and partner method is called.
 */
describe('@billing/client: partner lookup and admin API', () => {
  let s: Stack;
  let tier: Tier;
  let admin: BillingClient['admin'];

  beforeAll(async () => {
    s = await startStack();
    tier = await createTier(s.stripe, 'partnerplan', ['partner_feature']);
    admin = createBillingClient({ baseUrl: s.baseUrl, token: s.config.ADMIN_TOKEN }).admin;
  });
  afterAll(() => s.close());


  /** An account that buys the tier through the client and pays; the webhooks are then applied. */
  const buy = async (account: string, quantity = 1) => {
    const api = createBillingClient({ baseUrl: s.baseUrl, token: await ownerToken(account) });
    const checkout = await api.subscriptions.createCheckoutSession({ price_id: tier.monthly.id, ...urls, quantity });
    await s.payCheckout(checkout.id);
    const sub = await api.subscriptions.syncCheckoutSession(checkout.id);
    await s.settle();
    return sub;
  };

  it('merchants: list, create, get, update; 404 merchant_not_found', async () => {
    expect((await admin.merchants.list()).map((m) => m.id)).toEqual(['platform']);
    const created = await admin.merchants.create({ id: 'dest', display_name: 'Dest Inc.', charge_model: 'destination', stripe_account_id: 'acct_dest0001', application_fee_percent: 12.5 });
    expect(created).toMatchObject({ id: 'dest', charge_model: 'destination', stripe_account_id: 'acct_dest0001', application_fee_percent: 12.5, status: 'active' });
    expect(await admin.merchants.get('dest')).toEqual(created);
    const updated = await admin.merchants.update('dest', { display_name: 'Dest K.K.' });
    expect(updated).toMatchObject({ display_name: 'Dest K.K.', application_fee_percent: 12.5 });
    expect((await admin.merchants.list()).map((m) => m.id).sort()).toEqual(['dest', 'platform']);
    expect(await failure(admin.merchants.get('nobody'))).toMatchObject({ status: 404, code: 'merchant_not_found' });
  });

  it('applications: create (the generated secret shown once), get, list, update, rotate the webhook secret; 404 and 409', async () => {
    const created = await admin.applications.create({ id: 'inbox', name: 'Inbox Manager', merchant_id: 'platform', price_ids: [tier.monthly.id], allowed_origins: [ORIGIN] });
    expect(created).toMatchObject({ id: 'inbox', price_ids: [tier.monthly.id], allowed_origins: [ORIGIN], webhook_secrets_active: 1, webhook_secret: expect.stringMatching(/^whsec_/) });
    const shown = await admin.applications.get('inbox');
    expect(shown).not.toHaveProperty('webhook_secret');
    expect((await admin.applications.list()).map((a) => a.id).sort()).toEqual(['default', 'inbox']);

    const updated = await admin.applications.update('inbox', { trial_days: 14 });
    expect(updated).toMatchObject({ trial_days: 14, price_ids: [tier.monthly.id], allowed_origins: [ORIGIN] });
    // The default application sells the tier too, for the purchases below.
    await admin.applications.update('default', { price_ids: [tier.monthly.id], allowed_origins: [ORIGIN] });

    const generated = await admin.applications.rotateWebhookSecret('inbox');
    expect(generated).toEqual({ secret: expect.stringMatching(/^whsec_/), previous_expires_at: expect.any(String) });
    const given = await admin.applications.rotateWebhookSecret('inbox', { secret: 'whsec_fromStripe123', overlap_hours: 0 });
    expect(given.secret).toBe('whsec_fromStripe123');
    expect((await admin.applications.get('inbox')).webhook_secrets_active).toBe(1);

    expect(await failure(admin.applications.get('nothing'))).toMatchObject({ status: 404, code: 'application_not_found' });
    expect(await failure(admin.applications.create({ id: 'inbox', name: 'Again', merchant_id: 'platform' }))).toMatchObject({ status: 409, code: 'application_exists' });
  });

  describe('partner lookup', () => {
    let key: string;
    let keyId: string;
    let partner: BillingClient['partner'];

    beforeAll(async () => {
      const issued = await admin.apiKeys.issue('default', { name: 'freee' });
      expect(issued).toMatchObject({ name: 'freee', key: expect.stringMatching(/^psk_/), revoked_at: null });
      key = issued.key;
      keyId = issued.id;
      partner = createBillingClient({ baseUrl: s.baseUrl, token: key, applicationId: 'default' }).partner;
    });

    it('api keys are listed without the secret', async () => {
      const keys = await admin.apiKeys.list('default');
      expect(keys).toEqual([expect.objectContaining({ id: keyId, name: 'freee', revoked_at: null })]);
      expect(keys[0]).not.toHaveProperty('key');
    });

    it("a company's contract, one at a time and in a batch; unknown companies are left out", async () => {
      const sub = await buy('C_ACTIVE', 3);
      const [entry, ...rest] = await partner.lookupCustomers('C_ACTIVE');
      expect(rest).toEqual([]);
      expect(entry).toMatchObject({ company_id: 'C_ACTIVE', stripe_subscription_ids: [sub.id], stripe_price_id: tier.monthly.id, quantity: 3, status: 'active', contracted: true, merchant_status: 'active' });
      expect(await partner.lookupCustomers('C_UNKNOWN')).toEqual([]);

      await buy('C_SECOND');
      const batch = await partner.lookupCustomersBatch(['C_ACTIVE', 'C_UNKNOWN', 'C_SECOND']);
      expect(batch.map((c) => c.company_id).sort()).toEqual(['C_ACTIVE', 'C_SECOND']);
      expect(batch.find((c) => c.company_id === 'C_ACTIVE')).toEqual(entry);
    });

    it("the key's application only; the application named per call; none named is refused before sending", async () => {
      expect(await failure(partner.lookupCustomers('C_ACTIVE', { applicationId: 'inbox' }))).toMatchObject({ status: 403, code: 'api_key_wrong_application' });
      const unnamed = createBillingClient({ baseUrl: s.baseUrl, token: key }).partner;
      await expect(unnamed.lookupCustomers('C_ACTIVE')).rejects.toThrow(TypeError);
      expect((await unnamed.lookupCustomersBatch(['C_ACTIVE'], { applicationId: 'default' })).map((c) => c.company_id)).toEqual(['C_ACTIVE']);
      expect(await failure(partner.lookupCustomersBatch([]))).toMatchObject({ status: 400 });
    });

    it('a revoked key is refused at once', async () => {
      const revoked = await admin.apiKeys.revoke('default', keyId);
      expect(revoked).toMatchObject({ id: keyId, revoked_at: expect.any(String) });
      expect(await failure(partner.lookupCustomers('C_ACTIVE'))).toMatchObject({ status: 401, code: 'api_key_revoked' });
      expect(await failure(admin.apiKeys.revoke('default', 'key_unknown'))).toMatchObject({ status: 404 });
    });
  });

  it('webhook events: list with filters, get, replay one, replay the dead ones, stats', async () => {
    const events = await admin.webhookEvents.list({ application_id: 'default', limit: 100 });
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.application_id === 'default')).toBe(true);
    const paid = events.find((e) => e.type === 'invoice.paid')!;
    expect(paid).toMatchObject({ state: 'processed', stripe_account: 'platform' });
    expect((await admin.webhookEvents.list({ type: 'invoice.paid' })).map((e) => e.type)).toEqual(events.filter((e) => e.type === 'invoice.paid').map(() => 'invoice.paid'));
    expect(await admin.webhookEvents.list({ state: 'dead' })).toEqual([]);

    const detail = await admin.webhookEvents.get(paid.id);
    expect(detail).toMatchObject({ id: paid.id, type: 'invoice.paid', state: 'processed' });

    expect(await admin.webhookEvents.replay(paid.id)).toEqual({ requeued: 1 });
    expect((await admin.webhookEvents.get(paid.id)).state).toBe('received');
    await s.settle();
    expect((await admin.webhookEvents.get(paid.id)).state).toBe('processed');
    expect(await admin.webhookEvents.replayDead()).toEqual({ requeued: 0 });
    // Counts per state that has events: all of them processed.
    expect(await admin.webhookEvents.stats()).toEqual({ processed: events.length });

    expect(await failure(admin.webhookEvents.get('evt_unknown'))).toMatchObject({ status: 404, code: 'webhook_event_not_found' });
    expect(await failure(admin.webhookEvents.replay('evt_unknown'))).toMatchObject({ status: 404, code: 'webhook_event_not_found' });
  });

  it('reconcile runs: start and wait, list, get; catalog sync', async () => {
    const run = await admin.reconcileRuns.start({ wait: true });
    expect(run).toMatchObject({ scope: 'platform', status: 'succeeded', error: null, deleted: 0 });
    expect((await admin.reconcileRuns.list({ limit: 5 })).map((r) => r.id)).toEqual([run.id]);
    expect(await admin.reconcileRuns.get(run.id)).toEqual(run);
    const account = await admin.reconcileRuns.start({ scope: 'account', account_id: 'C_ACTIVE', merchant_id: 'platform', wait: true });
    expect(account).toMatchObject({ scope: 'account', account_id: 'C_ACTIVE', status: 'succeeded' });
    expect(await failure(admin.reconcileRuns.get('00000000-0000-4000-8000-000000000000'))).toMatchObject({ status: 404, code: 'reconcile_run_not_found' });

    const synced = await admin.catalog.sync();
    expect(synced).toEqual(expect.arrayContaining([expect.objectContaining({ stripe_account: 'platform', merchant_ids: expect.arrayContaining(['platform']) })]));
    expect(await admin.catalog.sync({ merchant_id: 'platform' })).toEqual([expect.objectContaining({ stripe_account: 'platform' })]);

    // The audit trail holds these four, newest first, a page at a time.
    const page = await admin.audit.list({ actor_type: 'admin', limit: 3 });
    expect(page.data.map((r) => [r.action, r.account_id])).toEqual([['catalog.sync', null], ['catalog.sync', null], ['reconcile.start', 'C_ACTIVE']]);
    const next = await admin.audit.list({ actor_type: 'admin', limit: 3, cursor: page.next_cursor! });
    expect(next.data[0]).toMatchObject({ action: 'reconcile.start', account_id: null, target: {}, outcome: 'success', after: expect.objectContaining({ id: run.id }) });
    expect(await failure(admin.audit.list({ from: '2026-11-21T00:00:00Z', to: '2026-11-20T00:00:00Z' }))).toMatchObject({ status: 400, code: 'invalid_time_range' });
  });

  it('the admin API refuses any other token', async () => {
    const notAdmin = createBillingClient({ baseUrl: s.baseUrl, token: await ownerToken('ACME') }).admin;
    expect(await failure(notAdmin.applications.list())).toMatchObject({ status: 401, code: 'invalid_admin_token' });
    expect(await failure(createBillingClient({ baseUrl: s.baseUrl }).admin.merchants.list())).toMatchObject({ status: 401 });
  });
});
