import type Stripe from 'stripe';
import { AppPaymentCustomersService } from '../../src/app-payment-customers/app-payment-customers.service.js';
import { holdingLock, until } from '../support/held-lock.js';
import { usingPostgres } from '../support/test-database.js';
import { control } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';
import { expectError, ownerToken, setCatalog, authed } from '../subscriptions/helpers.js';
import { issueKey, lookupBatch, lookupGet, lookupMap, type AppPaymentCustomer } from './helpers.js';

const DAY = 86_400;

/**
 * The freee-style contract lookup (AppPaymentCustomers, seed 004) as a partner application sees
 * it: every Stripe status classified as freee does, quantities from the licensed item, the
 * company's subscription ids, platform trials, batches of up to 1,000 company ids, and the
 * partner key's rules. Each company is made as the freee store makes it (a customer whose
 * metadata carries `f_company_id`, subscriptions through the Stripe API), and every state is
 * reached through the emulator's clock and signed webhooks.
 */
describe('GET /api/applications/:id/app-payment-customers (seed 004)', () => {
  let s: Stack;
  let key: string;
  let seat: Stripe.Price;
  let daily: Stripe.Price;
  let weekly: Stripe.Price;
  let fixed: Stripe.Price;
  let metered: Stripe.Price;
  const subs: Record<string, Stripe.Subscription> = {};
  const customers: Record<string, Stripe.Customer> = {};
  let trialEnd: string;
  let canceledFirst: Stripe.Subscription;

  const C = {
    active: 'C_ACTIVE',
    fixed: 'C_FIXED_METERED',
    metered: 'C_METERED',
    canceled: 'C_CANCELED',
    two: 'C_TWO',
    expired: 'C_INCOMPLETE_EXPIRED',
    unpaid: 'C_UNPAID',
    paused: 'C_PAUSED',
    pastDue: 'C_PAST_DUE',
    incomplete: 'C_INCOMPLETE',
    trial: 'C_TRIAL',
  } as const;
  const known = Object.values(C);

  async function customer(company: string, pm?: string): Promise<Stripe.Customer> {
    const created = await s.stripe.customers.create({
      name: `株式会社${company}`,
      preferred_locales: ['ja'],
      metadata: { f_company_id: company, f_contact_person_name: '担当 者', f_contact_email: `${company.toLowerCase()}@example.jp` },
      ...(pm ? { payment_method: pm, invoice_settings: { default_payment_method: pm } } : {}),
    });
    customers[company] = created;
    return created;
  }

  async function subscribe(company: string, items: Stripe.SubscriptionCreateParams.Item[], pm = 'pm_card_visa'): Promise<Stripe.Subscription> {
    const c = customers[company] ?? (await customer(company));
    const sub = await s.stripe.subscriptions.create({ customer: c.id, items, default_payment_method: pm, payment_behavior: 'allow_incomplete' });
    subs[company] = sub;
    return sub;
  }

  const failRenewals = (company: string) => control(s, 'POST', `/_emulator/customers/${customers[company]!.id}/card`, { card: '4000000000000341' });

  beforeAll(async () => {
    s = await startStack({}, { pastDueFinalAction: 'unpaid', retryScheduleDays: [1] });
    key = (await issueKey(s)).key;
    const product = await s.stripe.products.create({ name: 'freee paid app' });
    seat = await s.stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 500, recurring: { interval: 'month' } });
    daily = await s.stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 100, recurring: { interval: 'day' } });
    weekly = await s.stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 300, recurring: { interval: 'week' } });
    fixed = await s.stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 3000, recurring: { interval: 'month', usage_type: 'licensed' } });
    const meter = await s.stripe.billing.meters.create({ display_name: 'API calls', event_name: 'api_calls', default_aggregation: { formula: 'sum' } });
    metered = await s.stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 10, recurring: { interval: 'month', usage_type: 'metered', meter: meter.id } });
    await setCatalog(s, 'default', [seat.id, fixed.id]);

    // Day 0.
    await subscribe(C.active, [{ price: seat.id, quantity: 3 }]);
    await subscribe(C.fixed, [{ price: fixed.id, quantity: 1 }, { price: metered.id }]);
    await subscribe(C.metered, [{ price: metered.id }]);
    await s.stripe.subscriptions.cancel((await subscribe(C.canceled, [{ price: seat.id, quantity: 2 }])).id, { invoice_now: false, prorate: false });
    canceledFirst = await subscribe(C.two, [{ price: seat.id, quantity: 1 }]);
    await s.stripe.subscriptions.cancel(canceledFirst.id);
    await s.advance(120);
    await subscribe(C.two, [{ price: seat.id, quantity: 4 }]);
    await subscribe(C.expired, [{ price: seat.id, quantity: 1 }], 'pm_card_chargeDeclined');
    await subscribe(C.unpaid, [{ price: weekly.id, quantity: 1 }]);
    await failRenewals(C.unpaid);
    await s.stripe.subscriptions.pause((await subscribe(C.paused, [{ price: seat.id, quantity: 1 }])).id);
    await s.settle();

    // Day 8: the weekly renewal failed on day 7, its one retry on day 8 → unpaid; the incomplete one has expired (23 h).
    await s.advance(8 * DAY + 3600);
    await subscribe(C.pastDue, [{ price: daily.id, quantity: 2 }]);
    await failRenewals(C.pastDue);
    // Day 9: its renewal failed → past_due (the retry is a day away).
    await s.advance(DAY + 60);
    await subscribe(C.incomplete, [{ price: seat.id, quantity: 1 }], 'pm_card_chargeDeclined');
    const trial = await authed(s.http().post('/api/subscriptions/trial'), await ownerToken(C.trial)).send({ price_id: seat.id, quantity: 5 });
    expect(trial.status).toBe(200);
    trialEnd = trial.body.trial_end;
    await s.settle();
  }, 180_000);
  afterAll(() => s.close());

  it('each status of the freee table: status as in Stripe, contracted for active, past_due, unpaid, incomplete, paused; not for canceled, incomplete_expired', async () => {
    const answers = await lookupMap(s, key, known);
    const expected: [string, string, boolean][] = [
      [C.active, 'active', true],
      [C.pastDue, 'past_due', true],
      [C.unpaid, 'unpaid', true],
      [C.incomplete, 'incomplete', true],
      [C.paused, 'paused', true],
      [C.canceled, 'canceled', false],
      [C.expired, 'incomplete_expired', false],
    ];
    for (const [company, status, contracted] of expected) {
      const inStripe = await s.stripe.subscriptions.retrieve(subs[company]!.id);
      expect([company, inStripe.status]).toEqual([company, status]);
      expect([company, answers.get(company)]).toEqual([
        company,
        expect.objectContaining({ company_id: company, stripe_customer_id: customers[company]!.id, stripe_subscription_ids: [inStripe.id], status, contracted, trial_quantity: null, trial_end: null, merchant_status: 'active' }),
      ]);
    }
  });

  it('quantity is the licensed item quantity (items.data.quantity); a fixed item is 1; a metered-only subscription has none', async () => {
    const answers = await lookupMap(s, key, [C.active, C.fixed, C.metered, C.pastDue, C.canceled]);
    expect(answers.get(C.active)).toMatchObject({ stripe_price_id: seat.id, quantity: 3, items: [{ price_id: seat.id, quantity: 3, usage_type: 'licensed' }] });
    expect(answers.get(C.pastDue)).toMatchObject({ stripe_price_id: daily.id, quantity: 2 });
    expect(answers.get(C.canceled)).toMatchObject({ stripe_price_id: seat.id, quantity: 2 });
    const both = answers.get(C.fixed)!;
    expect(both).toMatchObject({ stripe_price_id: fixed.id, quantity: 1, status: 'active', contracted: true });
    expect(both.items).toEqual([
      { price_id: fixed.id, quantity: 1, usage_type: 'licensed' },
      { price_id: metered.id, quantity: null, usage_type: 'metered' },
    ]);
    const stripeItems = (await s.stripe.subscriptions.retrieve(subs[C.fixed]!.id)).items.data;
    expect(stripeItems.find((i) => i.price.id === fixed.id)!.quantity).toBe(both.quantity);
    expect(answers.get(C.metered)).toMatchObject({ stripe_price_id: metered.id, quantity: null, items: [{ price_id: metered.id, quantity: null, usage_type: 'metered' }] });
  });

  it("stripe_subscription_ids lists every subscription of the company, the current one first; the answer describes the current one", async () => {
    const two = (await lookupMap(s, key, [C.two])).get(C.two)!;
    expect(two.stripe_subscription_ids).toEqual([subs[C.two]!.id, canceledFirst.id]);
    expect(two).toMatchObject({ status: 'active', contracted: true, quantity: 4, stripe_customer_id: customers[C.two]!.id });
  });

  it('during a platform trial: no subscription id, trial_quantity and trial_end, status trialing', async () => {
    const trial = (await lookupMap(s, key, [C.trial])).get(C.trial)!;
    expect(trial).toEqual({
      company_id: C.trial,
      stripe_customer_id: expect.stringMatching(/^cus_/),
      stripe_price_id: seat.id,
      stripe_subscription_ids: [],
      quantity: null,
      trial_quantity: 5,
      trial_end: trialEnd,
      status: 'trialing',
      contracted: false,
      items: [],
      merchant_status: 'active',
    });
    const stripeCustomer = (await s.stripe.customers.retrieve(trial.stripe_customer_id!)) as Stripe.Customer;
    expect(stripeCustomer.metadata).toMatchObject({ account_id: C.trial });
  });

  it('an unknown company is left out: 200 with an empty list', async () => {
    const res = await lookupGet(s, key, 'company_id=NO_SUCH_COMPANY');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ app_payment_customers: [] });
    const batch = await lookupBatch(s, key, { company_ids: ['NO_SUCH_COMPANY', 'NOR_THIS_ONE'] });
    expect(batch.status).toBe(200);
    expect(batch.body).toEqual({ app_payment_customers: [] });
  });

  describe('many companies in one call', () => {
    const thousand = () => [...known, ...Array.from({ length: 1000 - known.length }, (_, i) => `UNKNOWN_${i}`)];
    const sorted = (list: AppPaymentCustomer[]) => [...list].sort((a, b) => a.company_id.localeCompare(b.company_id));

    it('1,000 ids as a comma list, as repeated parameters and in the POST batch give the same answer as one by one', async () => {
      const ids = thousand();
      expect(ids).toHaveLength(1000);
      const one = new Map<string, AppPaymentCustomer>();
      for (const id of known) {
        const res = await lookupGet(s, key, `company_id=${id}`);
        expect(res.status).toBe(200);
        one.set(id, res.body.app_payment_customers[0]);
      }
      const expected = sorted([...one.values()]);
      expect(expected).toHaveLength(known.length);

      const comma = await lookupGet(s, key, `company_id=${ids.join(',')}`);
      expect(comma.status).toBe(200);
      expect(sorted(comma.body.app_payment_customers)).toEqual(expected);

      // Repeated parameters: 300 of them (1,000 would not fit in Node's 16 KB request head: 431), and both forms mixed.
      const repeated = await lookupGet(s, key, ids.slice(0, 300).map((id) => `company_id=${id}`).join('&'));
      expect(repeated.status).toBe(200);
      expect(sorted(repeated.body.app_payment_customers)).toEqual(expected);
      const mixed = await lookupGet(s, key, `company_id=${ids.slice(0, 500).join(',')}&${ids.slice(500, 530).map((id) => `company_id=${id}`).join('&')}&company_id=${ids.slice(530).join(',')}`);
      expect(mixed.status).toBe(200);
      expect(sorted(mixed.body.app_payment_customers)).toEqual(expected);

      const batch = await lookupBatch(s, key, { company_ids: ids });
      expect(batch.status).toBe(200);
      expect(sorted(batch.body.app_payment_customers)).toEqual(expected);

      // Duplicates are answered once.
      const dup = await lookupBatch(s, key, { company_ids: [C.active, C.active, C.trial] });
      expect(sorted(dup.body.app_payment_customers).map((c) => c.company_id)).toEqual([C.active, C.trial]);
    });

    it('single lookups arriving together (sharing statements) each get the answer they would get alone', async () => {
      const alone = new Map<string, unknown>();
      for (const id of [...known, 'UNKNOWN_X']) alone.set(id, (await lookupGet(s, key, `company_id=${id}`).expect(200)).body);
      // Every company three times over, and an unknown one, at once: the answers must not be mixed up.
      const asked = [...known, ...known, ...known, 'UNKNOWN_X'];
      const together = async () => Promise.all(asked.map((id) => lookupGet(s, key, `company_id=${id}`).then((res) => res)));
      let answers: Awaited<ReturnType<typeof together>>;
      if (usingPostgres()) {
        // On PostgreSQL, made sure to share: a first lookup waits for a lock held here until all the others wait for the next statement.
        answers = await holdingLock(s.config.DATABASE_URL!, [['lock table trials in access exclusive mode']], async (held) => {
          const first = lookupGet(s, key, `company_id=${C.trial}`).then((res) => res);
          await until(async () => (await held.blocked('with ids(company_id%')) === 1);
          const pending = together();
          // Two statements on their way (the first and one more, both waiting for the lock), the rest queued.
          await until(async () => (await held.blocked('with ids(company_id%')) === 2 && s.app.get(AppPaymentCustomersService)['contracts'].waiting() === asked.length - 1);
          await held.release();
          expect((await first).body).toEqual(alone.get(C.trial));
          return pending;
        });
      } else answers = await together();
      expect(answers.map((res) => [res.status, res.body])).toEqual(asked.map((id) => [200, alone.get(id)]));
    });

    it('refuses 1,001 ids in every form (400), and a batch of 1,000 mostly unknown ids is fast', async () => {
      const ids = [...thousand(), 'ONE_TOO_MANY'];
      expect((await lookupGet(s, key, `company_id=${ids.join(',')}`)).status).toBe(400);
      // 1,000 in one parameter and one more repeated: the total counts.
      expect((await lookupGet(s, key, `company_id=${ids.slice(0, 1000).join(',')}&company_id=${ids[1000]}`)).status).toBe(400);
      expect((await lookupGet(s, key, `company_id=${ids.slice(0, 990).join(',')}&${ids.slice(990).map((id) => `company_id=${id}`).join('&')}`)).status).toBe(400);
      expect((await lookupBatch(s, key, { company_ids: ids })).status).toBe(400);
      const started = performance.now();
      expect((await lookupBatch(s, key, { company_ids: thousand() })).status).toBe(200);
      expect(performance.now() - started).toBeLessThan(5000);
    });
  });

  describe('authorization and bad input', () => {
    const q = `company_id=${C.active}`;

    it('no key or an unknown key: 401; an account token is not a partner key', async () => {
      expectError(await lookupGet(s, undefined, q), 401, 'missing_api_key');
      expectError(await lookupBatch(s, undefined, { company_ids: [C.active] }), 401, 'missing_api_key');
      expectError(await lookupGet(s, 'psk_not_a_real_key_0123456789', q), 401, 'invalid_api_key');
      expect((await lookupGet(s, await ownerToken(C.active), q)).status).toBe(401);
    });

    it('the key also works as X-Api-Key; a revoked key: 401', async () => {
      const issued = await issueKey(s, 'default', 'to revoke');
      const ok = await s.http().get(`/api/applications/default/app-payment-customers?${q}`).set('x-api-key', issued.key);
      expect(ok.status).toBe(200);
      expect(ok.body.app_payment_customers).toHaveLength(1);
      const revoked = await s.admin(s.http().delete(`/admin/applications/default/api-keys/${issued.id}`));
      expect(revoked.status).toBe(200);
      expectError(await lookupGet(s, issued.key, q), 401, 'api_key_revoked');
      expectError(await lookupBatch(s, issued.key, { company_ids: [C.active] }), 401, 'api_key_revoked');
      // The other key of the application still works.
      expect((await lookupGet(s, key, q)).status).toBe(200);
    });

    it("another application's key: 403, and its own lookup does not see this application's contracts", async () => {
      const created = await s.admin(s.http().post('/admin/applications')).send({ id: 'other-app', name: 'Other app', merchant_id: 'platform' });
      expect(created.status).toBe(201);
      const other = await issueKey(s, 'other-app');
      expectError(await lookupGet(s, other.key, q), 403, 'api_key_wrong_application');
      expectError(await lookupBatch(s, other.key, { company_ids: [C.active] }), 403, 'api_key_wrong_application');
      expectError(await lookupGet(s, key, q, 'other-app'), 403, 'api_key_wrong_application');
      const own = await lookupGet(s, other.key, q, 'other-app');
      expect(own.status).toBe(200);
      // The company's customer is on the same platform account, but it has no contract with other-app.
      expect(own.body.app_payment_customers).toEqual([
        expect.objectContaining({ company_id: C.active, stripe_subscription_ids: [], status: null, contracted: false, quantity: null }),
      ]);
    });

    it.each([
      ['no company_id', ''],
      ['an empty company_id', 'company_id='],
      ['an empty item in a comma list', `company_id=${C.active},`],
      ['a space and punctuation', 'company_id=a%20b!'],
      ['an SQL fragment', "company_id=1'%20or%20'1'='1"],
      ['a nested parameter', 'company_id[x]=1'],
      ['an id longer than 255 characters', `company_id=${'9'.repeat(256)}`],
      ['an unknown parameter beside it', `company_id=${C.active}&compnay_id=${C.fixed}`],
    ])('GET with %s: 400, nothing looked up', async (_, query) => {
      const res = await lookupGet(s, key, query);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    });

    it.each([
      ['no body', undefined],
      ['no company_ids', {}],
      ['an empty list', { company_ids: [] }],
      ['a string instead of a list', { company_ids: C.active }],
      ['numbers', { company_ids: [1234567] }],
      ['a malformed id', { company_ids: ['a;b'] }],
    ])('POST batch with %s: 400', async (_, body) => {
      const res = await lookupBatch(s, key, body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    });
  });
});
