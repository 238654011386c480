import type Stripe from 'stripe';
import { createFreeeCatalog, createTrialCustomer, reproduceFreeeStore, type FreeeCompanies, type FreeeFixtures } from '../../scripts/fixtures/freee-store.js';
import { deliver } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';
import { ApplicationsService } from '../../src/tenancy/applications.service.js';
import { authed, ownerToken, setCatalog } from '../subscriptions/helpers.js';
import { issueKey, lookupGet, type AppPaymentCustomer } from './helpers.js';

/**
 * Seed 004 end to end: the customers and subscriptions the freee app store creates in Stripe
 * (reproduced by scripts/fixtures/freee-store.ts) reach the service through
 * webhooks alone, the company ids being the store's `f_company_id`; the trial company starts its
 * platform trial with the store's own customer; and the partner lookup then answers for each
 * company exactly as the seed describes.
 */
describe('the freee app store objects, looked up (seed 004)', () => {
  let s: Stack;
  let key: string;
  let fx: FreeeFixtures;
  let trial: { trial_end: string; stripe_customer_id: string };
  const companies: FreeeCompanies = { trial: '3001001', contracted: '3001002', canceled: '3001003' };

  beforeAll(async () => {
    s = await startStack();
    key = (await issueKey(s)).key;
    const catalog = await createFreeeCatalog(s.stripe);
    fx = await reproduceFreeeStore(s.stripe, companies, catalog);
    await setCatalog(s, 'default', [catalog.fixedPrice.id, catalog.meteredPrice.id]);
    await s.settle();
    const started = await authed(s.http().post('/api/subscriptions/trial'), await ownerToken(companies.trial)).send({ price_id: catalog.fixedPrice.id, quantity: 3 });
    expect(started.status).toBe(200);
    trial = started.body;
    await s.settle();
  });
  afterAll(() => s.close());

  async function lookup(): Promise<Map<string, AppPaymentCustomer>> {
    const res = await lookupGet(s, key, `company_id=${[companies.trial, companies.contracted, companies.canceled].join(',')}`);
    expect(res.status).toBe(200);
    return new Map((res.body.app_payment_customers as AppPaymentCustomer[]).map((c) => [c.company_id, c]));
  }

  it("the store's customers are the companies' identities; the trial reuses the trial company's customer", async () => {
    for (const [company, customer] of [
      [companies.trial, fx.trialCustomer],
      [companies.contracted, fx.contractedCustomer],
      [companies.canceled, fx.canceledCustomer],
    ] as const) {
      const identity = await authed(s.http().get('/api/subscriptions/identity'), await ownerToken(company));
      expect(identity.status).toBe(200);
      expect(identity.body).toMatchObject({ account_id: company, stripe_customer_id: customer.id });
    }
    expect(trial.stripe_customer_id).toBe(fx.trialCustomer.id);
    const all = await s.stripe.customers.list({ limit: 100 });
    expect(all.data.map((c) => c.id).sort()).toEqual([fx.trialCustomer.id, fx.contractedCustomer.id, fx.canceledCustomer.id].sort());
  });

  it('trial company: its customer, no subscription id, trial_quantity and trial_end, status trialing', async () => {
    expect((await lookup()).get(companies.trial)).toEqual({
      company_id: companies.trial,
      stripe_customer_id: fx.trialCustomer.id,
      stripe_price_id: fx.catalog.fixedPrice.id,
      stripe_subscription_ids: [],
      quantity: null,
      trial_quantity: 3,
      trial_end: trial.trial_end,
      status: 'trialing',
      contracted: false,
      items: [],
      merchant_status: 'active',
    });
  });

  it('contracted company: the fixed price, its subscription id, quantity 1, the metered item without quantity, active and contracted', async () => {
    expect((await lookup()).get(companies.contracted)).toEqual({
      company_id: companies.contracted,
      stripe_customer_id: fx.contractedCustomer.id,
      stripe_price_id: fx.catalog.fixedPrice.id,
      stripe_subscription_ids: [fx.contractedSubscription.id],
      quantity: 1,
      trial_quantity: null,
      trial_end: null,
      status: 'active',
      contracted: true,
      items: [
        { price_id: fx.catalog.fixedPrice.id, quantity: 1, usage_type: 'licensed' },
        { price_id: fx.catalog.meteredPrice.id, quantity: null, usage_type: 'metered' },
      ],
      merchant_status: 'active',
    });
    // What a partner then reads from Stripe with that id (seed 004): items.data.quantity and status.
    const sub = await s.stripe.subscriptions.retrieve(fx.contractedSubscription.id);
    expect(sub.status).toBe('active');
    expect(sub.items.data.find((i) => i.price.id === fx.catalog.fixedPrice.id)!.quantity).toBe(1);
    expect(sub.default_tax_rates!.map((r) => r.id)).toEqual([fx.catalog.taxRate.id]);
    expect(sub.default_tax_rates![0]).toMatchObject({ percentage: 10, inclusive: false, country: 'JP' });
    const customer = (await s.stripe.customers.retrieve(fx.contractedCustomer.id)) as Stripe.Customer;
    expect(customer).toMatchObject({
      name: `株式会社テスト${companies.contracted}`,
      email: `billing+${companies.contracted}@example.jp`,
      phone: '03-1234-5678',
      preferred_locales: ['ja'],
      address: { country: 'jp', postal_code: '1410031', state: '東京都', city: '品川区', line1: '西五反田2-8-1', line2: '五反田ファーストビル' },
      metadata: { f_company_id: companies.contracted, f_contact_person_name: expect.any(String), f_contact_email: expect.stringContaining('@') },
    });
  });

  it("a subscription whose event is applied before its customer's (Stripe's order is not guaranteed) still belongs to the company", async () => {
    const company = '3001004';
    const [secret] = await s.app.get(ApplicationsService).currentWebhookSecrets('default');
    s.emulator.setWebhooksEnabled(false);
    try {
      const customer = await createTrialCustomer(s.stripe, company);
      const sub = await s.stripe.subscriptions.create({ customer: customer.id, items: [{ price: fx.catalog.fixedPrice.id, quantity: 1 }], default_payment_method: 'pm_card_visa' });
      const events = (await s.stripe.events.list({ limit: 100 })).data;
      const created = (type: string, id: string) => events.find((e) => e.type === type && (e.data.object as { id: string }).id === id)!;
      expect(await deliver(s, created('customer.subscription.created', sub.id), secret!)).toBe(200);
      await s.settle();
      expect(await deliver(s, created('customer.created', customer.id), secret!)).toBe(200);
      await s.settle();
      const res = await lookupGet(s, key, `company_id=${company}`);
      expect(res.body.app_payment_customers).toEqual([
        expect.objectContaining({ company_id: company, stripe_customer_id: customer.id, stripe_subscription_ids: [sub.id], status: 'active', contracted: true, quantity: 1 }),
      ]);
    } finally {
      s.emulator.setWebhooksEnabled(true);
    }
  });

  it('canceled company: canceled, not contracted, its subscription id', async () => {
    expect((await lookup()).get(companies.canceled)).toMatchObject({
      company_id: companies.canceled,
      stripe_customer_id: fx.canceledCustomer.id,
      stripe_subscription_ids: [fx.canceledSubscription.id],
      status: 'canceled',
      contracted: false,
      trial_quantity: null,
    });
    expect((await s.stripe.subscriptions.retrieve(fx.canceledSubscription.id)).status).toBe('canceled');
    // Canceled with invoice_now: false and prorate: false: no invoice beyond the first.
    const invoices = await s.stripe.invoices.list({ subscription: fx.canceledSubscription.id });
    expect(invoices.data.map((i) => i.billing_reason)).toEqual(['subscription_create']);
  });
});
