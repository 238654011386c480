import { createHash } from 'node:crypto';
import { MikroORM } from '@mikro-orm/core';
import Stripe from 'stripe';
import { startEmulator, type RunningEmulator } from '@billing/stripe-emulator';
import { AdjustableClock } from '../src/infra/clock/clock.js';
import { ApplicationsService } from '../src/tenancy/applications.service.js';
import { PartnerKeysService } from '../src/tenancy/partner-keys.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { usingPostgres } from './support/test-database.js';

describe(`the admin API on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let t: TestApp;
  let emulator: RunningEmulator;
  let stripe: Stripe;
  const clock = new AdjustableClock();
  /** Real prices on the platform's Stripe account (the emulator), by name, for the catalogs below. */
  const price: Record<string, string> = {};
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    stripe = new Stripe(emulator.secretKey, { host: emulator.host, port: emulator.port, protocol: 'http', maxNetworkRetries: 0 });
    // The service's clock is set by hand here (secret overlaps), so no webhook endpoint: Stripe is only asked.
    t = await startTestApp({ STRIPE_SECRET_KEY: emulator.secretKey, STRIPE_API_BASE: emulator.url, STRIPE_MAX_NETWORK_RETRIES: '0' }, { clock });
    const product = await stripe.products.create({ name: 'Admin test plan' });
    for (const name of ['basic', 'pro', 'a', 'b', 'c']) {
      price[name] = (await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month' }, nickname: name })).id;
    }
  });
  afterAll(async () => {
    await t.close();
    await emulator.stop();
  });

  const get = (path: string) => t.admin(t.http().get(path));
  const post = (path: string, body: object) => t.admin(t.http().post(path)).send(body);
  const patch = (path: string, body: object) => t.admin(t.http().patch(path)).send(body);
  const del = (path: string) => t.admin(t.http().delete(path));
  const applications = () => t.app.get(ApplicationsService);
  const partnerKeys = () => t.app.get(PartnerKeysService);

  /** Everything the admin API can write, as the admin API shows it. */
  const snapshot = async () => {
    const [merchants, applications] = await Promise.all([get('/admin/merchants').expect(200), get('/admin/applications').expect(200)]);
    const keys = await Promise.all(applications.body.data.map((a: { id: string }) => get(`/admin/applications/${a.id}/api-keys`).expect(200)));
    return { merchants: merchants.body.data, applications: applications.body.data, keys: keys.map((k) => k.body.data) };
  };
  const expectError = (res: { status: number; body: unknown }, status: number, code: string) => {
    expect({ status: res.status, body: res.body }).toEqual({ status, body: { error: expect.objectContaining({ code, message: expect.any(String) }) } });
  };

  let seq = 0;
  const newApplication = async (extra: object = {}) => {
    const id = `app-${++seq}`;
    await post('/admin/applications', { id, name: `App ${seq}`, merchant_id: 'platform', ...extra }).expect(201);
    return id;
  };

  describe('merchants', () => {
    it('creates a platform, a direct and a destination merchant and lists them', async () => {
      const platform = await post('/admin/merchants', { id: 'second-platform', display_name: 'Second platform', charge_model: 'platform' }).expect(201);
      expect(platform.body).toEqual({
        id: 'second-platform',
        display_name: 'Second platform',
        charge_model: 'platform',
        stripe_account_id: null,
        application_fee_percent: null,
        country: 'JP',
        default_currency: 'jpy',
        status: 'active',
        created_at: expect.any(String),
      });
      const direct = await post('/admin/merchants', { display_name: 'ACME K.K.', charge_model: 'direct', stripe_account_id: 'acct_direct0001', application_fee_percent: 10 }).expect(201);
      expect(direct.body).toMatchObject({ id: 'acme-k-k', charge_model: 'direct', stripe_account_id: 'acct_direct0001', application_fee_percent: 10 });
      const destination = await post('/admin/merchants', {
        id: 'dest',
        display_name: 'Dest Inc.',
        charge_model: 'destination',
        stripe_account_id: 'acct_dest0001',
        application_fee_percent: 12.5,
        country: 'US',
        default_currency: 'usd',
      }).expect(201);
      expect(destination.body).toMatchObject({ charge_model: 'destination', application_fee_percent: 12.5, country: 'US', default_currency: 'usd' });

      const list = await get('/admin/merchants').expect(200);
      expect(list.body.data.map((m: { id: string }) => m.id)).toEqual(expect.arrayContaining(['platform', 'second-platform', 'acme-k-k', 'dest']));
      expect((await get('/admin/merchants/dest').expect(200)).body).toEqual(destination.body);
    });

    it('updates a merchant and shows the change on the next read', async () => {
      await post('/admin/merchants', { id: 'to-update', display_name: 'Before', charge_model: 'destination', stripe_account_id: 'acct_update0001' }).expect(201);
      const updated = await patch('/admin/merchants/to-update', { display_name: 'After', application_fee_percent: 5 }).expect(200);
      expect(updated.body).toMatchObject({ display_name: 'After', application_fee_percent: 5, stripe_account_id: 'acct_update0001' });
      expect((await get('/admin/merchants/to-update').expect(200)).body).toEqual(updated.body);
    });

    it('answers 404 for a merchant that does not exist', async () => {
      expectError(await get('/admin/merchants/nobody'), 404, 'merchant_not_found');
      expectError(await patch('/admin/merchants/nobody', { display_name: 'x' }), 404, 'merchant_not_found');
    });
  });

  describe('applications', () => {
    it('creates an application whose generated webhook secret is shown once', async () => {
      const created = await post('/admin/applications', {
        id: 'inbox',
        name: 'Inbox Manager',
        merchant_id: 'platform',
        allowed_origins: ['https://inbox.example.com'],
        price_ids: [price.basic, price.pro],
        past_due_grace_days: 3,
        trial_days: 30,
      }).expect(201);
      expect(created.body).toMatchObject({
        id: 'inbox',
        merchant_id: 'platform',
        allowed_origins: ['https://inbox.example.com'],
        past_due_grace_days: 3,
        trial_days: 30,
        webhook_secrets_active: 1,
        webhook_secret: expect.stringMatching(/^whsec_/),
      });
      expect([...created.body.price_ids].sort()).toEqual([price.basic, price.pro].sort());
      expect(await applications().currentWebhookSecrets('inbox')).toEqual([created.body.webhook_secret]);

      const shown = await get('/admin/applications/inbox').expect(200);
      expect(shown.body).not.toHaveProperty('webhook_secret');
      const { webhook_secret: _secret, ...withoutSecret } = created.body;
      expect(shown.body).toEqual(withoutSecret);
      expect((await get('/admin/applications').expect(200)).body.data).toContainEqual(withoutSecret);
    });

    it('keeps a webhook secret given by Stripe and does not echo it', async () => {
      const created = await post('/admin/applications', { id: 'given-secret', name: 'Given', merchant_id: 'platform', webhook_secret: 'whsec_fromStripe123' }).expect(201);
      expect(created.body).not.toHaveProperty('webhook_secret');
      expect(await applications().currentWebhookSecrets('given-secret')).toEqual(['whsec_fromStripe123']);
    });

    it('replaces the whole catalog when price_ids is updated, and leaves it alone otherwise', async () => {
      const id = await newApplication({ price_ids: [price.a, price.b] });
      const renamed = await patch(`/admin/applications/${id}`, { name: 'Renamed', past_due_grace_days: 0 }).expect(200);
      expect(renamed.body).toMatchObject({ name: 'Renamed', past_due_grace_days: 0 });
      expect([...renamed.body.price_ids].sort()).toEqual([price.a, price.b].sort());
      const replaced = await patch(`/admin/applications/${id}`, { price_ids: [price.c, price.a] }).expect(200);
      expect([...replaced.body.price_ids].sort()).toEqual([price.a, price.c].sort());
      // Fields the update does not name keep their values.
      expect(replaced.body).toMatchObject({ name: 'Renamed', past_due_grace_days: 0 });
      expect(await applications().catalogPriceIds(id)).toEqual(expect.arrayContaining([price.a, price.c]));
      expect(await applications().catalogPriceIds(id)).toHaveLength(2);
      const emptied = await patch(`/admin/applications/${id}`, { price_ids: [] }).expect(200);
      expect(emptied.body.price_ids).toEqual([]);
    });

    it('takes 8 catalog edits of one application at once: every one 200, the catalog ends as one of them whole', async () => {
      const id = await newApplication({ price_ids: [price.a] });
      const lists = [[price.a, price.b], [price.b, price.c], [price.c], [price.a, price.b, price.c], [price.basic], [price.pro, price.a], [price.b], [price.basic, price.pro]];
      const answers = await Promise.all(lists.map((priceIds, i) => patch(`/admin/applications/${id}`, { price_ids: priceIds, name: `Edit ${i}` })));
      expect(answers.map((a) => a.status)).toEqual(lists.map(() => 200));
      const final = (await get(`/admin/applications/${id}`).expect(200)).body as { name: string; price_ids: string[] };
      const which = Number(final.name.replace('Edit ', ''));
      expect([...final.price_ids].sort()).toEqual([...lists[which]!].sort());
      expect((await applications().catalogPriceIds(id)).sort()).toEqual([...lists[which]!].sort());
    });

    it('answers 404 for an application that does not exist', async () => {
      expectError(await get('/admin/applications/nothing'), 404, 'application_not_found');
      expectError(await patch('/admin/applications/nothing', { name: 'x' }), 404, 'application_not_found');
    });
  });

  describe('catalog prices are checked: they must exist and be active on the merchant\'s Stripe account', () => {
    const archivedPrice = async () => {
      const product = await stripe.products.create({ name: 'Archived plan' });
      const created = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 500, recurring: { interval: 'month' } });
      await stripe.prices.update(created.id, { active: false });
      return created.id;
    };

    it('refuses a price Stripe does not have (400 price_not_found, naming it) in a create and in an update, and writes nothing', async () => {
      const id = await newApplication({ price_ids: [price.a] });
      const before = await snapshot();
      const created = await post('/admin/applications', { id: 'unknown-price', name: 'U', merchant_id: 'platform', price_ids: [price.a, 'price_doesnotexist'] });
      expectError(created, 400, 'price_not_found');
      expect(created.body.error.message).toContain('price_doesnotexist');
      expectError(await patch('/admin/applications/default', { price_ids: ['price_doesnotexist'] }), 400, 'price_not_found');
      const updated = await patch(`/admin/applications/${id}`, { name: 'Changed', trial_days: 3, price_ids: [price.b, 'price_doesnotexist'] });
      expectError(updated, 400, 'price_not_found');
      expect(updated.body.error.message).toContain('price_doesnotexist');
      expect(await snapshot()).toEqual(before);
      expect(await applications().catalogPriceIds(id)).toEqual([price.a]);
    });

    it('refuses an archived price (400 price_inactive, naming it) in a create and in an update, and writes nothing', async () => {
      const archived = await archivedPrice();
      const id = await newApplication({ price_ids: [price.a] });
      const before = await snapshot();
      const created = await post('/admin/applications', { id: 'archived-price', name: 'A', merchant_id: 'platform', price_ids: [archived] });
      expectError(created, 400, 'price_inactive');
      expect(created.body.error.message).toContain(archived);
      expectError(await patch(`/admin/applications/${id}`, { price_ids: [price.a, archived] }), 400, 'price_inactive');
      expect(await snapshot()).toEqual(before);
    });

    it('keeps a price archived after it was listed when an update keeps it (checkout refuses to sell it)', async () => {
      const product = await stripe.products.create({ name: 'Retired plan' });
      const retiring = (await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 700, recurring: { interval: 'month' } })).id;
      const id = await newApplication({ price_ids: [retiring] });
      await stripe.prices.update(retiring, { active: false });
      const updated = await patch(`/admin/applications/${id}`, { price_ids: [retiring, price.b] }).expect(200);
      expect(updated.body.price_ids).toEqual(expect.arrayContaining([retiring, price.b]));
    });

    it("takes a direct merchant's prices from its connected account: the platform's prices are not found there", async () => {
      const account = 'acct_AdminCatalog01';
      // The emulator, as Stripe, knows only connected accounts that exist.
      await fetch(`${emulator.url}/_emulator/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${emulator.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: account }),
      });
      await post('/admin/merchants', { id: 'catalog-shop', display_name: 'Catalog shop', charge_model: 'direct', stripe_account_id: account }).expect(201);
      const product = await stripe.products.create({ name: 'Shop plan' }, { stripeAccount: account });
      const own = (await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 900, recurring: { interval: 'month' } }, { stripeAccount: account })).id;
      const created = await post('/admin/applications', { id: 'catalog-shop-app', name: 'Shop', merchant_id: 'catalog-shop', price_ids: [own] }).expect(201);
      expect(created.body.price_ids).toEqual([own]);
      const before = await snapshot();
      expectError(await patch('/admin/applications/catalog-shop-app', { price_ids: [own, price.a] }), 400, 'price_not_found');
      expectError(await post('/admin/applications', { id: 'catalog-shop-2', name: 'Shop 2', merchant_id: 'catalog-shop', price_ids: [price.basic] }), 400, 'price_not_found');
      expect(await snapshot()).toEqual(before);
    });

    it('the catalog mirror answers for the prices it holds without asking Stripe; for others Stripe unreachable is a 502 and nothing is written', async () => {
      const archived = await archivedPrice();
      await post('/admin/catalog-sync', { merchant_id: 'platform' }).expect(200);
      const product = await stripe.products.create({ name: 'Unmirrored plan' });
      const unmirrored = (await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 800, recurring: { interval: 'month' } })).id;
      emulator.setFaults({ api: [{ path: '/v1/prices', method: 'GET', status: 500 }] });
      try {
        const id = await newApplication({ price_ids: [price.basic, price.pro] });
        expectError(await patch(`/admin/applications/${id}`, { price_ids: [price.basic, archived] }), 400, 'price_inactive');
        const before = await snapshot();
        expectError(await patch(`/admin/applications/${id}`, { price_ids: [price.basic, unmirrored] }), 502, 'stripe_unavailable');
        expectError(await post('/admin/applications', { id: 'stripe-down', name: 'D', merchant_id: 'platform', price_ids: [unmirrored] }), 502, 'stripe_unavailable');
        expect(await snapshot()).toEqual(before);
      } finally {
        emulator.clearFaults();
      }
    });
  });

  describe('webhook secret rotation', () => {
    it('keeps the old secret valid for the overlap, then drops it', async () => {
      const id = 'rotating';
      const created = await post('/admin/applications', { id, name: 'Rotating', merchant_id: 'platform' }).expect(201);
      const old = created.body.webhook_secret;
      const rotated = await post(`/admin/applications/${id}/webhook-secret/rotate`, { secret: 'whsec_newSecret123', overlap_hours: 2 }).expect(200);
      expect(rotated.body).toEqual({ secret: 'whsec_newSecret123', previous_expires_at: expect.any(String) });
      expect(new Date(rotated.body.previous_expires_at).getTime() - clock.now().getTime()).toBeGreaterThan(119 * 60_000);
      expect(await applications().currentWebhookSecrets(id)).toEqual(['whsec_newSecret123', old]);
      expect((await get(`/admin/applications/${id}`)).body.webhook_secrets_active).toBe(2);

      clock.advance(119 * 60);
      expect(await applications().currentWebhookSecrets(id)).toEqual(['whsec_newSecret123', old]);
      clock.advance(2 * 60);
      expect(await applications().currentWebhookSecrets(id)).toEqual(['whsec_newSecret123']);
      expect((await get(`/admin/applications/${id}`)).body.webhook_secrets_active).toBe(1);
    });

    it('drops the old secret at once with an overlap of 0 and generates the new one when none is given', async () => {
      const id = await newApplication();
      const rotated = await post(`/admin/applications/${id}/webhook-secret/rotate`, { overlap_hours: 0 }).expect(200);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(await applications().currentWebhookSecrets(id)).toEqual([rotated.body.secret]);
    });

    it('answers 404 when rotating the secret of an unknown application, and creates no secret', async () => {
      expectError(await post('/admin/applications/nothing/webhook-secret/rotate', {}), 404, 'application_not_found');
      expect(await applications().currentWebhookSecrets('nothing')).toEqual([]);
    });
  });

  describe('partner API keys', () => {
    it('shows a new key once, lists it without the key, and stores only its hash', async () => {
      const id = await newApplication();
      const issued = await post(`/admin/applications/${id}/api-keys`, { name: 'freee production' }).expect(201);
      const key: string = issued.body.key;
      expect(key).toMatch(/^psk_[\w-]{40,}$/);
      expect(issued.body).toMatchObject({ id: expect.any(String), name: 'freee production', prefix: key.slice(0, 12), revoked_at: null });

      const list = await get(`/admin/applications/${id}/api-keys`).expect(200);
      const { key: _key, ...listed } = issued.body;
      expect(list.body.data).toEqual([listed]);
      expect(JSON.stringify(list.body)).not.toContain(key);

      const rows = await t.app.get(MikroORM).em.getConnection().execute('select * from partner_api_keys where id = ?', [issued.body.id]);
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows[0])).not.toContain(key);
      expect(rows[0].key_hash).toBe(createHash('sha256').update(key).digest('hex'));

      await expect(partnerKeys().verifyApiKey(key)).resolves.toEqual({ keyId: issued.body.id, applicationId: id });
    });

    it('revokes a key so that it stops working, and a second revoke changes nothing', async () => {
      const id = await newApplication();
      const issued = await post(`/admin/applications/${id}/api-keys`, { name: 'to revoke' }).expect(201);
      const revoked = await del(`/admin/applications/${id}/api-keys/${issued.body.id}`).expect(200);
      expect(revoked.body).toMatchObject({ id: issued.body.id, revoked_at: expect.any(String) });
      await expect(partnerKeys().verifyApiKey(issued.body.key)).rejects.toMatchObject({ code: 'api_key_revoked' });

      clock.advance(60);
      const again = await del(`/admin/applications/${id}/api-keys/${issued.body.id}`).expect(200);
      expect(again.body).toEqual(revoked.body);
      expect((await get(`/admin/applications/${id}/api-keys`)).body.data).toEqual([revoked.body]);
    });

    it('answers 404 for keys of an unknown application and issues nothing', async () => {
      const before = await snapshot();
      expectError(await post('/admin/applications/nothing/api-keys', { name: 'x' }), 404, 'application_not_found');
      expectError(await get('/admin/applications/nothing/api-keys'), 404, 'application_not_found');
      expect(await snapshot()).toEqual(before);
    });

    it('answers 404 for an unknown key id, for a malformed one and for a key of another application', async () => {
      const mine = await newApplication();
      const other = await newApplication();
      const issued = await post(`/admin/applications/${other}/api-keys`, { name: 'other' }).expect(201);
      expectError(await del(`/admin/applications/${mine}/api-keys/2f1c7d4e-8a0b-4c39-9d0e-5b7f3f1e2a61`), 404, 'api_key_not_found');
      expectError(await del(`/admin/applications/${mine}/api-keys/not-a-uuid`), 404, 'api_key_not_found');
      expectError(await del(`/admin/applications/${mine}/api-keys/${issued.body.id}`), 404, 'api_key_not_found');
      expect((await get(`/admin/applications/${other}/api-keys`)).body.data[0].revoked_at).toBeNull();
    });
  });

  describe('bad input is refused with a 4xx in the error format and writes nothing', () => {
    beforeAll(async () => {
      await post('/admin/merchants', { id: 'existing', display_name: 'Existing', charge_model: 'direct', stripe_account_id: 'acct_existing01' }).expect(201);
      await post('/admin/applications', { id: 'existing-app', name: 'Existing', merchant_id: 'platform' }).expect(201);
    });

    const cases: [string, string, object, number, string][] = [
      ['an application for an unknown merchant', '/admin/applications', { id: 'orphan', name: 'Orphan', merchant_id: 'nobody' }, 400, 'merchant_not_found'],
      ['a duplicate merchant id', '/admin/merchants', { id: 'existing', display_name: 'Again', charge_model: 'platform' }, 409, 'merchant_exists'],
      ['a duplicate application id', '/admin/applications', { id: 'existing-app', name: 'Again', merchant_id: 'platform' }, 409, 'application_exists'],
      ['a second merchant on the same connected account', '/admin/merchants', { id: 'same-account', display_name: 'Same', charge_model: 'destination', stripe_account_id: 'acct_existing01' }, 409, 'merchant_exists'],
      ['a direct merchant without stripe_account_id', '/admin/merchants', { id: 'no-account', display_name: 'No account', charge_model: 'direct' }, 400, 'stripe_account_required'],
      ['a platform merchant with a stripe_account_id', '/admin/merchants', { id: 'platform-2', display_name: 'P', charge_model: 'platform', stripe_account_id: 'acct_platform01' }, 400, 'stripe_account_not_allowed'],
      ['an unknown field', '/admin/merchants', { id: 'typo', display_name: 'Typo', charge_model: 'platform', colour: 'red' }, 400, 'validation_failed'],
      ['a charge model that does not exist', '/admin/merchants', { id: 'bad-model', display_name: 'Bad', charge_model: 'marketplace' }, 400, 'validation_failed'],
      ['a fee given as a string', '/admin/merchants', { id: 'fee-string', display_name: 'Fee', charge_model: 'destination', stripe_account_id: 'acct_feestring1', application_fee_percent: '10' }, 400, 'validation_failed'],
      ['a name given as a number', '/admin/applications', { id: 'num-name', name: 42, merchant_id: 'platform' }, 400, 'validation_failed'],
      ['price_ids given as a string', '/admin/applications', { id: 'str-prices', name: 'S', merchant_id: 'platform', price_ids: 'price_a' }, 400, 'validation_failed'],
      ['an origin with a path', '/admin/applications', { id: 'bad-origin', name: 'O', merchant_id: 'platform', allowed_origins: ['https://a.example.com/return'] }, 400, 'validation_failed'],
      ['an origin that is not http(s)', '/admin/applications', { id: 'ftp-origin', name: 'O', merchant_id: 'platform', allowed_origins: ['ftp://a.example.com'] }, 400, 'validation_failed'],
      ['a price id that is not a Stripe price', '/admin/applications', { id: 'bad-price', name: 'P', merchant_id: 'platform', price_ids: ['prod_123'] }, 400, 'validation_failed'],
      ['an application id with upper-case letters', '/admin/applications', { id: 'Bad App', name: 'P', merchant_id: 'platform' }, 400, 'validation_failed'],
    ];

    it.each(cases)('refuses %s', async (_what, path, body, status, code) => {
      const before = await snapshot();
      expectError(await post(path, body), status, code);
      expect(await snapshot()).toEqual(before);
    });

    it('refuses a bad origin or price id in an update and keeps the application as it was', async () => {
      const before = await snapshot();
      expectError(await patch('/admin/applications/existing-app', { name: 'Changed', allowed_origins: ['not an origin'] }), 400, 'validation_failed');
      expectError(await patch('/admin/applications/existing-app', { name: 'Changed', price_ids: ['price with spaces'] }), 400, 'validation_failed');
      expectError(await patch('/admin/merchants/existing', { display_name: 'Changed', charge_model: 'platform' }), 400, 'validation_failed');
      expect(await snapshot()).toEqual(before);
    });

    it('refuses malformed JSON', async () => {
      const before = await snapshot();
      const res = await t.admin(t.http().post('/admin/merchants')).set('content-type', 'application/json').send('{"id": "broken", "display_name": ');
      expectError(res, 400, 'malformed_json');
      expect(await snapshot()).toEqual(before);
    });

    it('names the field that failed in the message', async () => {
      const res = await post('/admin/applications', { id: 'x', name: 'X', merchant_id: 'platform', allowed_origins: ['https://a.example.com/path'] });
      expect(res.body.error.message).toContain('allowed_origins');
    });

    it('answers 401 without the admin token or with a wrong one, and writes nothing', async () => {
      const before = await snapshot();
      const body = { id: 'intruder', display_name: 'Intruder', charge_model: 'platform' };
      expectError(await t.http().post('/admin/merchants').send(body), 401, 'missing_token');
      expectError(await t.http().post('/admin/merchants').set('authorization', 'Bearer not-the-admin-token').send(body), 401, 'invalid_admin_token');
      expectError(await t.http().post('/admin/merchants').set('authorization', t.config.ADMIN_TOKEN).send(body), 401, 'missing_token');
      expectError(await t.http().get('/admin/merchants'), 401, 'missing_token');
      expectError(await t.http().post('/admin/applications/existing-app/api-keys').set('authorization', 'Bearer wrong').send({ name: 'k' }), 401, 'invalid_admin_token');
      expect(await snapshot()).toEqual(before);
    });
  });
});
