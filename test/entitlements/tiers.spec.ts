import type Stripe from 'stripe';
import { FeaturesService } from '../../src/entitlements/features.service.js';
import { holdingLock, until } from '../support/held-lock.js';
import { usingPostgres } from '../support/test-database.js';
import { control, deliver } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';
import { ApplicationsService } from '../../src/tenancy/applications.service.js';
import { authed, expectError, ownerToken, setCatalog, sqlOf, urls } from '../subscriptions/helpers.js';

/**
 * Seed 002's two tiers: a standard product with `basic_features`, an advanced product with
 * `basic_features` and `extended_features`. What an account may use (`features`) follows its
 * subscription through purchase, upgrade, downgrade, cancellation at period end, a failed renewal
 * and a platform trial, answered from the mirror, and moving with the clock where no event comes.
 */
describe('features of a two-tier catalog (seed 002)', () => {
  let s: Stack;
  let basic: Stripe.Entitlements.Feature;
  let extended: Stripe.Entitlements.Feature;
  let standard: { product: Stripe.Product; price: Stripe.Price };
  let advanced: { product: Stripe.Product; price: Stripe.Price };
  let n = 0;

  beforeAll(async () => {
    s = await startStack();
    // As a merchant sets it up in Stripe: two features, two products, three product features.
    basic = await s.stripe.entitlements.features.create({ name: 'Basic features', lookup_key: 'basic_features' });
    extended = await s.stripe.entitlements.features.create({ name: 'Extended features', lookup_key: 'extended_features' });
    standard = await product('Standard', 1000, [basic]);
    advanced = await product('Advanced', 3000, [basic, extended]);
    await setCatalog(s, 'default', [standard.price.id, advanced.price.id]);
    await s.settle();
  });
  afterAll(() => s.close());
  afterEach(() => s.emulator.setWebhooksEnabled(true));

  async function product(name: string, amount: number, features: Stripe.Entitlements.Feature[]) {
    const created = await s.stripe.products.create({ name });
    const price = await s.stripe.prices.create({ product: created.id, currency: 'jpy', unit_amount: amount, recurring: { interval: 'month' } });
    for (const f of features) await s.stripe.products.createFeature(created.id, { entitlement_feature: f.id });
    return { product: created, price };
  }

  const syncCatalog = () => s.admin(s.http().post('/admin/catalog-sync')).send({ merchant_id: 'platform' });

  /** An account's features from both routes (account-less and account-scoped), which must agree. */
  async function featuresOf(account: string): Promise<{ lookup_key: string; name: string; subscription_id: string | null; trial: boolean; access_until: string | null }[]> {
    const token = await ownerToken(account);
    const less = await authed(s.http().get('/api/subscriptions/features'), token);
    const scoped = await authed(s.http().get(`/api/accounts/${account}/subscriptions/features`), token);
    expect(less.status).toBe(200);
    expect(scoped.status).toBe(200);
    expect(scoped.body).toEqual(less.body);
    return less.body.data;
  }
  const keysOf = async (account: string) => (await featuresOf(account)).map((f) => f.lookup_key);

  /** A new account buys a price through checkout, pays on the hosted page; every webhook applied. */
  async function subscriber(priceId: string): Promise<{ account: string; token: string; sub: Stripe.Subscription }> {
    const account = `TIER_${++n}`;
    const token = await ownerToken(account);
    const checkout = await authed(s.http().post('/api/subscriptions/stripe/checkout-session'), token).send({ price_id: priceId, ...urls });
    expect(checkout.status).toBe(200);
    expect((await s.payCheckout(checkout.body.id)).status).toBe('complete');
    await s.settle();
    const session = await s.stripe.checkout.sessions.retrieve(checkout.body.id);
    const sub = await s.stripe.subscriptions.retrieve(session.subscription as string);
    expect(sub.status).toBe('active');
    return { account, token, sub };
  }

  const periodEnd = (sub: Stripe.Subscription) => Math.max(...sub.items.data.map((i) => i.current_period_end));
  const iso = (unix: number) => new Date(unix * 1000).toISOString();

  describe('catalog sync', () => {
    it('mirrors products, prices, features and product features of the platform', async () => {
      const res = await syncCatalog();
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: [{ stripe_account: 'platform', merchant_ids: ['platform'], products: 2, prices: 2, features: 2, product_features: 3 }] });
      const q = sqlOf(s);
      expect(await q('select id, name, active from products order by name')).toEqual([
        { id: advanced.product.id, name: 'Advanced', active: true },
        { id: standard.product.id, name: 'Standard', active: true },
      ]);
      const prices = await q<{ id: string; product_id: string; unit_amount: string | number; interval: string; usage_type: string }>('select id, product_id, unit_amount, interval, usage_type from prices order by unit_amount');
      expect(prices.map((p) => ({ ...p, unit_amount: Number(p.unit_amount) }))).toEqual([
        { id: standard.price.id, product_id: standard.product.id, unit_amount: 1000, interval: 'month', usage_type: 'licensed' },
        { id: advanced.price.id, product_id: advanced.product.id, unit_amount: 3000, interval: 'month', usage_type: 'licensed' },
      ]);
      expect(await q('select id, lookup_key, name from features order by lookup_key')).toEqual([
        { id: basic.id, lookup_key: 'basic_features', name: 'Basic features' },
        { id: extended.id, lookup_key: 'extended_features', name: 'Extended features' },
      ]);
      const links = await q<{ product_id: string; feature_id: string }>('select product_id, feature_id from product_features');
      const pairs = links.map((l) => `${l.product_id}:${l.feature_id}`).sort();
      expect(pairs).toEqual([`${standard.product.id}:${basic.id}`, `${advanced.product.id}:${basic.id}`, `${advanced.product.id}:${extended.id}`].sort());

      // Run again: the same catalog, nothing doubled.
      expect((await syncCatalog()).body.data[0]).toMatchObject({ products: 2, prices: 2, features: 2, product_features: 3 });
      expect(await q('select count(*)::int as n from product_features')).toEqual([{ n: 3 }]);
    });

    it('a feature removed from a product in Stripe is gone from the mirror after the next sync', async () => {
      const extra = await s.stripe.entitlements.features.create({ name: 'Temporary', lookup_key: 'temporary_feature' });
      const link = await s.stripe.products.createFeature(standard.product.id, { entitlement_feature: extra.id });
      expect((await syncCatalog()).body.data[0]).toMatchObject({ features: 3, product_features: 4 });
      await s.stripe.products.deleteFeature(standard.product.id, link.id);
      expect((await syncCatalog()).body.data[0]).toMatchObject({ product_features: 3 });
      const q = sqlOf(s);
      expect(await q('select count(*)::int as n from product_features where feature_id = ?', [extra.id])).toEqual([{ n: 0 }]);
    });

    it('refuses an unknown merchant (404), a malformed one (400), and callers without the admin token (401)', async () => {
      expectError(await s.admin(s.http().post('/admin/catalog-sync')).send({ merchant_id: 'no-such-merchant' }), 404, 'merchant_not_found');
      const malformed = await s.admin(s.http().post('/admin/catalog-sync')).send({ merchant_id: 'Not A Merchant!' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toEqual(expect.any(String));
      expect((await s.http().post('/admin/catalog-sync').send({})).status).toBe(401);
      expect((await s.http().post('/admin/catalog-sync').set('authorization', 'Bearer not-the-admin-token').send({})).status).toBe(401);
      // An account token is not the admin token either.
      expect((await authed(s.http().post('/admin/catalog-sync'), await ownerToken('TIER_ADMIN')).send({})).status).toBe(401);
    });
  });

  describe('subscriptions', () => {
    beforeAll(async () => {
      expect((await syncCatalog()).status).toBe(200);
    });

    it('a standard subscriber gets basic_features; an advanced one gets basic_features and extended_features', async () => {
      const std = await subscriber(standard.price.id);
      const adv = await subscriber(advanced.price.id);
      const stdFeatures = await featuresOf(std.account);
      expect(stdFeatures).toEqual([{ lookup_key: 'basic_features', name: 'Basic features', subscription_id: std.sub.id, trial: false, access_until: iso(periodEnd(std.sub)) }]);
      const advFeatures = await featuresOf(adv.account);
      expect(advFeatures).toEqual([
        { lookup_key: 'basic_features', name: 'Basic features', subscription_id: adv.sub.id, trial: false, access_until: iso(periodEnd(adv.sub)) },
        { lookup_key: 'extended_features', name: 'Extended features', subscription_id: adv.sub.id, trial: false, access_until: iso(periodEnd(adv.sub)) },
      ]);
      // Stripe's own active entitlements say the same.
      const stripeKeys = async (sub: Stripe.Subscription) =>
        (await s.stripe.entitlements.activeEntitlements.list({ customer: sub.customer as string })).data.map((e) => e.lookup_key).sort();
      expect(await stripeKeys(std.sub)).toEqual(['basic_features']);
      expect(await stripeKeys(adv.sub)).toEqual(['basic_features', 'extended_features']);
      // An account without a subscription has none.
      expect(await featuresOf('TIER_NOBODY')).toEqual([]);
    });

    it('upgrade and downgrade through the API change the features at once, before any webhook', async () => {
      const { account, token, sub } = await subscriber(advanced.price.id);
      expect(await keysOf(account)).toEqual(['basic_features', 'extended_features']);
      await s.advance(60);
      s.emulator.setWebhooksEnabled(false);
      const down = await authed(s.http().post(`/api/subscriptions/${sub.id}/change`), token).send({ price_id: standard.price.id });
      expect(down.status).toBe(200);
      expect(down.body.items).toEqual([expect.objectContaining({ price_id: standard.price.id, product_id: standard.product.id })]);
      expect(await keysOf(account)).toEqual(['basic_features']);

      const up = await authed(s.http().post(`/api/subscriptions/${sub.id}/change`), token).send({ price_id: advanced.price.id });
      expect(up.status).toBe(200);
      expect(up.body.items).toEqual([expect.objectContaining({ price_id: advanced.price.id, product_id: advanced.product.id })]);
      expect(await keysOf(account)).toEqual(['basic_features', 'extended_features']);
      await s.advance(60);
      const again = await authed(s.http().post(`/api/subscriptions/${sub.id}/change`), token).send({ price_id: standard.price.id });
      expect(again.status).toBe(200);
      expect(await keysOf(account)).toEqual(['basic_features']);

      // The events of the changes, delivered and applied afterwards, leave the answer where it is.
      s.emulator.setWebhooksEnabled(true);
      await s.settle();
      expect(await keysOf(account)).toEqual(['basic_features']);
    });

    it('upgrade and downgrade made in Stripe reach the features with customer.subscription.updated alone', async () => {
      const { account, sub } = await subscriber(advanced.price.id);
      expect(await keysOf(account)).toEqual(['basic_features', 'extended_features']);
      const [secret] = await s.app.get(ApplicationsService).currentWebhookSecrets('default');
      const eventsSoFar = new Set((await sqlOf(s)<{ id: string }>('select id from webhook_events')).map((e) => e.id));
      s.emulator.setWebhooksEnabled(false);

      /** Changes the price in Stripe (as the portal would), then delivers only that change's customer.subscription.updated. */
      const changeInStripe = async (price: Stripe.Price) => {
        const before = Math.floor(s.emulator.now());
        const current = await s.stripe.subscriptions.retrieve(sub.id);
        await s.stripe.subscriptions.update(sub.id, { items: [{ id: current.items.data[0]!.id, price: price.id }] });
        // (The emulator takes `created` only as a number, not as {gte}: filtered here.)
        const events = await s.stripe.events.list({ type: 'customer.subscription.updated', limit: 100 });
        const mine = events.data.filter((e) => e.created >= before && (e.data.object as Stripe.Subscription).id === sub.id);
        expect(mine).toHaveLength(1);
        expect(await deliver(s, mine[0]!, secret!)).toBe(200);
        await s.settle();
      };

      // Down first: the last entitlement summary the service saw still lists extended_features.
      await s.advance(60);
      await changeInStripe(standard.price);
      expect(await keysOf(account)).toEqual(['basic_features']);
      await s.advance(60);
      await changeInStripe(advanced.price);
      expect(await keysOf(account)).toEqual(['basic_features', 'extended_features']);
      // Nothing else reached the service meanwhile.
      const received = (await sqlOf(s)<{ id: string; type: string }>('select id, type from webhook_events')).filter((e) => !eventsSoFar.has(e.id));
      expect(received.map((e) => e.type)).toEqual(['customer.subscription.updated', 'customer.subscription.updated']);
    });

    it('cancel at period end keeps the features until the period ends, then they go with no event delivered', async () => {
      const { account, token, sub } = await subscriber(advanced.price.id);
      const canceled = await authed(s.http().post(`/api/subscriptions/${sub.id}/cancel`), token).send({ timing: 'period_end' });
      expect(canceled.status).toBe(200);
      expect(canceled.body).toMatchObject({ status: 'active', cancel_at_period_end: true });
      const end = periodEnd(sub);
      const features = await featuresOf(account);
      expect(features.map((f) => [f.lookup_key, f.access_until])).toEqual([
        ['basic_features', iso(end)],
        ['extended_features', iso(end)],
      ]);

      s.emulator.setWebhooksEnabled(false);
      await s.advance(end - s.emulator.now() - 3600);
      expect(await keysOf(account)).toEqual(['basic_features', 'extended_features']);
      await s.advance(2 * 3600);
      // Stripe has ended it, but no event reached the service: the clock alone ends the access.
      expect((await s.stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
      const [mirrored] = await sqlOf(s)<{ status: string }>('select status from subscriptions where id = ?', [sub.id]);
      expect(mirrored!.status).toBe('active');
      expect(await featuresOf(account)).toEqual([]);
    });

    it('past_due keeps the features during the grace after the failed renewal, and loses them after', async () => {
      const { account, sub } = await subscriber(standard.price.id);
      await control(s, 'POST', `/_emulator/customers/${sub.customer as string}/card`, { card: '4000000000000341' });
      const renewal = periodEnd(sub);
      await s.advance(renewal - s.emulator.now() + 60);
      expect((await s.stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
      const [mirrored] = await sqlOf(s)<{ status: string }>('select status from subscriptions where id = ?', [sub.id]);
      expect(mirrored!.status).toBe('past_due');
      const during = await featuresOf(account);
      expect(during.map((f) => f.lookup_key)).toEqual(['basic_features']);
      // Seven days of grace (the default) from the failed payment at the renewal.
      const graceEnd = new Date(during[0]!.access_until!).getTime() / 1000;
      expect(Math.abs(graceEnd - (renewal + 7 * 86_400))).toBeLessThanOrEqual(60);

      await s.advance(graceEnd - s.emulator.now() - 3600);
      expect(await keysOf(account)).toEqual(['basic_features']);
      await s.advance(2 * 3600);
      // Still past_due in Stripe (retries go on), but the grace is over.
      expect((await s.stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
      expect(await featuresOf(account)).toEqual([]);
    });

    it('features requests arriving together (sharing statements) each get their own account\'s answer', async () => {
      const std = await subscriber(standard.price.id);
      const adv = await subscriber(advanced.price.id);
      const trialAccount = `TIER_TRIAL_${++n}`;
      expect((await authed(s.http().post('/api/subscriptions/trial'), await ownerToken(trialAccount)).send({ price_id: standard.price.id, quantity: 1 })).status).toBe(200);
      const accounts = [std.account, adv.account, trialAccount, 'TIER_NOBODY'];
      const tokens = new Map(await Promise.all(accounts.map(async (a) => [a, await ownerToken(a)] as const)));
      const ask = (account: string) => authed(s.http().get('/api/subscriptions/features'), tokens.get(account)!).then((res) => res);
      const alone = new Map<string, unknown>();
      for (const account of accounts) alone.set(account, (await ask(account)).body);
      expect(new Set([...alone.values()].map((body) => JSON.stringify(body))).size).toBe(accounts.length);

      const asked = [...accounts, ...accounts, ...accounts, ...accounts];
      let answers: Awaited<ReturnType<typeof ask>>[];
      if (usingPostgres()) {
        // On PostgreSQL, made sure to share: the first requests wait for a lock held here until all the others wait for the next statement.
        answers = await holdingLock(s.config.DATABASE_URL!, [['lock table trials in access exclusive mode']], async (held) => {
          const pending = Promise.all(asked.map(ask));
          const waiting = () => s.app.get(FeaturesService)['grants'].waiting();
          await until(async () => {
            const blocked = await held.blocked('%with live as%');
            return blocked > 0 && blocked + waiting() === asked.length;
          });
          await held.release();
          return pending;
        });
      } else answers = await Promise.all(asked.map(ask));
      expect(answers.map((res) => [res.status, res.body])).toEqual(asked.map((account) => [200, alone.get(account)]));
    });

    it('a platform trial grants its product features until it ends', async () => {
      const account = `TIER_TRIAL_${++n}`;
      const token = await ownerToken(account);
      const started = await authed(s.http().post('/api/subscriptions/trial'), token).send({ price_id: advanced.price.id, quantity: 3 });
      expect(started.status).toBe(200);
      expect(started.body).toMatchObject({ price_id: advanced.price.id, trial_quantity: 3, active: true });
      const trialEnd: string = started.body.trial_end;
      expect(await featuresOf(account)).toEqual([
        { lookup_key: 'basic_features', name: 'Basic features', subscription_id: null, trial: true, access_until: trialEnd },
        { lookup_key: 'extended_features', name: 'Extended features', subscription_id: null, trial: true, access_until: trialEnd },
      ]);
      const end = new Date(trialEnd).getTime() / 1000;
      expect(Math.round(end - s.emulator.now())).toBeGreaterThan(13 * 86_400);
      await s.advance(end - s.emulator.now() - 3600);
      expect(await keysOf(account)).toEqual(['basic_features', 'extended_features']);
      await s.advance(2 * 3600);
      expect(await featuresOf(account)).toEqual([]);
    });
  });
});
