import type Stripe from 'stripe';
import { createTier, type Tier } from '../support/catalog.js';
import { control } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';
import { featureKeys } from '../reconciler/helpers.js';
import { ORIGIN } from '../subscriptions/helpers.js';
import { issueKey, lookupBatch, lookupGet, lookupMap, type AppPaymentCustomer } from './helpers.js';

const SHOP = 'acct_DeauthShop0001';

/**
 * A direct merchant's connected account leaves the platform (account.application.deauthorized,
 * delivered as a signed webhook): its subscriptions keep their last Stripe status, but the
 * partner lookup no longer reports any company of its application as contracted, and says why
 * (`merchant_status`), in the single and the batch lookup alike. Companies of other merchants are
 * unaffected.
 */
describe('the partner lookup after the merchant is deauthorized', () => {
  let s: Stack;
  let shopTier: Tier;
  let platformTier: Tier;
  let shopKey: string;
  let defaultKey: string;
  const C = { first: 'D_FIRST', second: 'D_SECOND', platform: 'D_PLATFORM' } as const;
  const subs: Record<string, Stripe.Subscription> = {};

  async function subscribe(company: string, applicationId: string, price: Stripe.Price, options: Stripe.RequestOptions = {}): Promise<void> {
    const customer = await s.stripe.customers.create({ name: `株式会社${company}`, metadata: { f_company_id: company } }, options);
    subs[company] = await s.stripe.subscriptions.create(
      { customer: customer.id, items: [{ price: price.id, quantity: 2 }], default_payment_method: 'pm_card_visa', metadata: { account_id: company, application_id: applicationId } },
      options,
    );
  }

  beforeAll(async () => {
    s = await startStack();
    await s.connectedAccount(SHOP);
    shopTier = await createTier(s.stripe, 'deauth_plan', ['deauth_reports'], { stripeAccount: SHOP });
    platformTier = await createTier(s.stripe, 'platform_plan', ['platform_reports']);
    expect((await s.admin(s.http().post('/admin/merchants')).send({ id: 'shop', display_name: 'Shop', charge_model: 'direct', stripe_account_id: SHOP })).status).toBe(201);
    const app = await s.admin(s.http().post('/admin/applications')).send({ id: 'shop-app', name: 'Shop app', merchant_id: 'shop', price_ids: [shopTier.monthly.id], allowed_origins: [ORIGIN] });
    expect(app.status).toBe(201);
    shopKey = (await issueKey(s, 'shop-app')).key;
    defaultKey = (await issueKey(s, 'default')).key;
    await subscribe(C.first, 'shop-app', shopTier.monthly, { stripeAccount: SHOP });
    await subscribe(C.second, 'shop-app', shopTier.monthly, { stripeAccount: SHOP });
    await subscribe(C.platform, 'default', platformTier.monthly);
    await s.settle();
  });
  afterAll(() => s.close());

  const contract = (company: string, status: string, contracted: boolean, merchantStatus: string): AppPaymentCustomer =>
    expect.objectContaining({ company_id: company, stripe_subscription_ids: [subs[company]!.id], status, contracted, quantity: 2, merchant_status: merchantStatus });

  it('before: contracted, merchant_status active', async () => {
    const answers = await lookupMap(s, shopKey, [C.first, C.second], 'shop-app');
    expect([answers.get(C.first), answers.get(C.second)]).toEqual([contract(C.first, 'active', true, 'active'), contract(C.second, 'active', true, 'active')]);
    expect(await featureKeys(s, C.first, 'shop-app')).toEqual(shopTier.features.map((f) => f.lookup_key));
  });

  it('after account.application.deauthorized: contracted false and merchant_status deauthorized, in the single and the batch lookup', async () => {
    await control(s, 'POST', `/_emulator/accounts/${SHOP}/deauthorize`);
    await s.settle();
    expect((await s.admin(s.http().get('/admin/merchants/shop'))).body).toMatchObject({ status: 'deauthorized' });

    const single = await lookupGet(s, shopKey, `company_id=${C.first}`, 'shop-app');
    expect(single.status).toBe(200);
    // The subscription's status is its last one in Stripe (which no longer answers for this account).
    expect(single.body.app_payment_customers).toEqual([contract(C.first, 'active', false, 'deauthorized')]);
    const batch = await lookupBatch(s, shopKey, { company_ids: [C.second, C.first, 'D_UNKNOWN'] }, 'shop-app');
    expect(batch.status).toBe(200);
    expect(batch.body.app_payment_customers).toEqual([contract(C.second, 'active', false, 'deauthorized'), contract(C.first, 'active', false, 'deauthorized')]);
    const commaList = await lookupMap(s, shopKey, [C.first, C.second], 'shop-app');
    expect([...commaList.values()].map((c) => [c.company_id, c.contracted, c.merchant_status])).toEqual([
      [C.first, false, 'deauthorized'],
      [C.second, false, 'deauthorized'],
    ]);
    expect(await featureKeys(s, C.first, 'shop-app')).toEqual([]);
  });

  it('the OpenAPI document describes merchant_status', async () => {
    const doc = await s.http().get('/docs-json');
    expect(doc.status).toBe(200);
    const view = doc.body.components.schemas.AppPaymentCustomerView;
    expect(view.required).toContain('merchant_status');
    expect(view.properties.merchant_status).toMatchObject({ enum: ['active', 'deauthorized'], example: 'active' });
    expect(view.properties.contracted.description).toContain('deauthorized');
  });

  it("another merchant's companies are unaffected", async () => {
    const answers = await lookupMap(s, defaultKey, [C.platform]);
    expect(answers.get(C.platform)).toEqual(contract(C.platform, 'active', true, 'active'));
  });
});
