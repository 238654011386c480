import { createTier, type Tier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { authed, expectError, expectMatchesStripe, footprint, ownerToken, setCatalog, sqlOf, urls } from './helpers.js';

const DAY = 86_400;

describe('sync from Stripe and platform trials', () => {
  let s: Stack;
  let tier: Tier;
  let trialTier: Tier;
  beforeAll(async () => {
    s = await startStack();
    tier = await createTier(s.stripe, 'team', ['team_feature']);
    trialTier = await createTier(s.stripe, 'trialplan', ['trial_a', 'trial_b']);
    await setCatalog(s, 'default', [tier.monthly.id, tier.yearly.id, trialTier.monthly.id], { trial_days: 7 });
  });
  afterAll(() => s.close());

  const q = () => sqlOf(s);
  const post = async (account: string, path: string, body: object = {}) => authed(s.http().post(path), await ownerToken(account)).send(body);
  const get = async (account: string, path: string) => authed(s.http().get(path), await ownerToken(account));

  describe('POST /sync', () => {
    let subId: string;

    it('mirrors a paid checkout nobody synced yet, with counts; a second sync finds it unchanged', async () => {
      const checkout = await post('ACME', '/api/subscriptions/stripe/checkout-session', { price_id: tier.monthly.id, ...urls });
      await s.payCheckout(checkout.body.id);
      expect(await q()('select id from subscriptions')).toEqual([]);

      const first = await post('ACME', '/api/subscriptions/sync?allow_deletes=false');
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ created: 1, updated: 0, deleted: 0, unchanged: 0, missing: 0 });
      expect(first.body.data).toHaveLength(1);
      subId = first.body.data[0].id;
      await expectMatchesStripe(s, first.body.data[0]);

      const second = await post('ACME', '/api/accounts/ACME/subscriptions/sync');
      expect(second.body).toMatchObject({ created: 0, updated: 0, deleted: 0, unchanged: 1, missing: 0 });
    });

    it('re-creates a subscription deleted from our database', async () => {
      await q()('delete from subscription_items where subscription_id = ?', [subId]);
      await q()('delete from subscriptions where id = ?', [subId]);
      expect((await get('ACME', '/api/subscriptions')).body).toEqual({ data: [] });
      const res = await post('ACME', '/api/subscriptions/sync?allow_deletes=false');
      expect(res.body).toMatchObject({ created: 1, deleted: 0, missing: 0 });
      await expectMatchesStripe(s, res.body.data[0]);
      expect((await get('ACME', '/api/subscriptions')).body.data.map((v: { id: string }) => v.id)).toEqual([subId]);
    });

    it('reports a change made in Stripe behind our back as updated', async () => {
      await s.stripe.subscriptions.update(subId, { cancel_at_period_end: true });
      const res = await post('ACME', '/api/subscriptions/sync');
      expect(res.body).toMatchObject({ created: 0, updated: 1 });
      expect(res.body.data[0].cancel_at_period_end).toBe(true);
      await expectMatchesStripe(s, res.body.data[0]);
    });

    it('a local subscription Stripe does not have: kept and counted missing with allow_deletes=false, removed with true', async () => {
      const [real] = await q()<{ customer_id: string }>('select customer_id from subscriptions where id = ?', [subId]);
      await q()(
        `insert into subscriptions (id, stripe_account, merchant_id, application_id, account_id, customer_id, status, stripe_created, stripe_version, raw, created_at, updated_at)
         values ('sub_FakeNotInStripe', 'platform', 'platform', 'default', 'ACME', ?, 'active', now(), 1, '{}'::jsonb, now(), now())`,
        [real!.customer_id],
      );
      const kept = await post('ACME', '/api/subscriptions/sync?allow_deletes=false');
      expect(kept.body).toMatchObject({ deleted: 0, missing: 1, unchanged: 1 });
      expect(kept.body.data.map((v: { id: string }) => v.id).sort()).toEqual(['sub_FakeNotInStripe', subId].sort());
      const [flag] = await q()<{ missing_in_stripe_at: Date | null }>('select missing_in_stripe_at from subscriptions where id = ?', ['sub_FakeNotInStripe']);
      expect(flag!.missing_in_stripe_at).not.toBeNull();

      const removed = await post('ACME', '/api/accounts/ACME/subscriptions/sync?allow_deletes=true');
      expect(removed.body).toMatchObject({ deleted: 1, missing: 0 });
      expect(removed.body.data.map((v: { id: string }) => v.id)).toEqual([subId]);
      expect(await q()('select id from subscriptions where id = ?', ['sub_FakeNotInStripe'])).toEqual([]);
    });

    it('an account with no Stripe customer syncs nothing, and removes nothing of anyone else', async () => {
      const res = await post('NOBODY', '/api/subscriptions/sync?allow_deletes=true');
      expect(res.body).toEqual({ created: 0, updated: 0, deleted: 0, unchanged: 0, missing: 0, data: [] });
      expect(await q()('select id from subscriptions')).toEqual([{ id: subId }]);
    });

    it('allow_deletes must be true or false', async () => {
      expectError(await post('ACME', '/api/subscriptions/sync?allow_deletes=maybe'), 400, 'validation_failed');
      expectError(await post('ACME', '/api/accounts/ACME/subscriptions/sync?allow_deletes=yes'), 400, 'validation_failed');
    });
  });

  describe('platform trials', () => {
    it('starts a trial of the application trial_days with the features of its product, once per account', async () => {
      const before = await footprint(s);
      const started = await post('TRIALCO', '/api/subscriptions/trial', { price_id: trialTier.monthly.id, quantity: 3 });
      expect(started.status).toBe(200);
      const now = s.emulator.now();
      expect(started.body).toMatchObject({ application_id: 'default', price_id: trialTier.monthly.id, product_id: trialTier.product.id, trial_quantity: 3, active: true });
      expect(Math.abs(new Date(started.body.trial_start).getTime() / 1000 - now)).toBeLessThanOrEqual(2);
      expect(new Date(started.body.trial_end).getTime() - new Date(started.body.trial_start).getTime()).toBe(7 * DAY * 1000);
      // A Stripe customer is made up front (no subscription, no session).
      const after = await footprint(s);
      expect(after).toMatchObject({ stripe_customers: before.stripe_customers + 1, identities: before.identities + 1, trials: before.trials + 1, stripe_subscriptions: before.stripe_subscriptions, stripe_sessions: before.stripe_sessions });
      const customer = await s.stripe.customers.retrieve(started.body.stripe_customer_id);
      expect(customer).toMatchObject({ metadata: { account_id: 'TRIALCO' } });

      expect((await get('TRIALCO', '/api/subscriptions/trial')).body).toEqual(started.body);
      const features = await get('TRIALCO', '/api/subscriptions/features');
      expect(features.body.data).toEqual(
        trialTier.features.map((f) => f.lookup_key).sort().map((lookup_key) => ({ lookup_key, name: expect.any(String), subscription_id: null, trial: true, access_until: started.body.trial_end })),
      );
      expect((await get('TRIALCO', '/api/accounts/TRIALCO/subscriptions/features')).body).toEqual(features.body);
      // No subscription appears for a trial.
      expect((await get('TRIALCO', '/api/subscriptions')).body).toEqual({ data: [] });

      const again = await footprint(s);
      expectError(await post('TRIALCO', '/api/subscriptions/trial', { price_id: trialTier.monthly.id, quantity: 1 }), 409, 'trial_already_used');
      expectError(await post('TRIALCO', '/api/accounts/TRIALCO/subscriptions/trial', { price_id: tier.monthly.id, quantity: 1 }), 409, 'trial_already_used');
      expect(await footprint(s)).toEqual(again);

      // Another account has its own trial, through the account-scoped route.
      const other = await post('OTHERCO', '/api/accounts/OTHERCO/subscriptions/trial', { price_id: tier.monthly.id, quantity: 1 });
      expect(other.status).toBe(200);
      expect((await get('OTHERCO', '/api/subscriptions/features')).body.data.map((f: { lookup_key: string }) => f.lookup_key)).toEqual([tier.features[0]!.lookup_key]);
    });

    it('after the trial ends its features are gone, and it cannot be started again', async () => {
      await s.advance(7 * DAY + 60);
      expect((await get('TRIALCO', '/api/subscriptions/features')).body).toEqual({ data: [] });
      expect((await get('TRIALCO', '/api/subscriptions/trial')).body.active).toBe(false);
      expectError(await post('TRIALCO', '/api/subscriptions/trial', { price_id: trialTier.monthly.id, quantity: 3 }), 409, 'trial_already_used');
    });
  });
});
