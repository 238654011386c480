import type Stripe from 'stripe';

/**
 * The customers and subscriptions the freee app store creates in Stripe (seed 004), reproduced for
 * tests and demos: a trial customer, a contracted customer with an address and a subscription of a
 * fixed item (quantity 1) plus a metered item with default tax rates, and a canceled subscription
 * (invoice_now: false, prorate: false). The platform trial itself is this service's
 * (POST /api/subscriptions/trial), since the store does not use Stripe trials.
 */
export interface FreeeCatalog {
  product: Stripe.Product;
  fixedPrice: Stripe.Price;
  meteredPrice: Stripe.Price;
  taxRate: Stripe.TaxRate;
}

export interface FreeeFixtures {
  catalog: FreeeCatalog;
  trialCustomer: Stripe.Customer;
  contractedCustomer: Stripe.Customer;
  contractedSubscription: Stripe.Subscription;
  canceledCustomer: Stripe.Customer;
  canceledSubscription: Stripe.Subscription;
}

export interface FreeeCompanies {
  trial: string;
  contracted: string;
  canceled: string;
}

export async function createFreeeCatalog(stripe: Stripe, options: Stripe.RequestOptions = {}): Promise<FreeeCatalog> {
  const product = await stripe.products.create({ name: 'freee paid app', metadata: { source: 'freee-store-fixtures' } }, options);
  const fixedPrice = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 3000, recurring: { interval: 'month', usage_type: 'licensed' }, tax_behavior: 'exclusive' }, options);
  const meteredPrice = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 10, recurring: { interval: 'month', usage_type: 'metered' }, tax_behavior: 'exclusive' }, options);
  const taxRate = await stripe.taxRates.create({ display_name: '消費税', percentage: 10, inclusive: false, country: 'JP', jurisdiction: 'JP' }, options);
  return { product, fixedPrice, meteredPrice, taxRate };
}

/** The customer the store creates when a company starts a trial. */
export function createTrialCustomer(stripe: Stripe, companyId: string, options: Stripe.RequestOptions = {}): Promise<Stripe.Customer> {
  return stripe.customers.create(
    {
      preferred_locales: ['ja'],
      metadata: { f_company_id: companyId, f_contact_person_name: '山田 太郎', f_contact_email: `owner+${companyId}@example.jp` },
      name: `株式会社テスト${companyId}`,
    },
    options,
  );
}

export async function reproduceFreeeStore(stripe: Stripe, companies: FreeeCompanies, catalog: FreeeCatalog, options: Stripe.RequestOptions = {}): Promise<FreeeFixtures> {
  const trialCustomer = await createTrialCustomer(stripe, companies.trial, options);

  // A contracted customer: created at the trial, then completed with the company's details.
  const contracted = await createTrialCustomer(stripe, companies.contracted, options);
  const contractedCustomer = await stripe.customers.update(
    contracted.id,
    {
      name: `株式会社テスト${companies.contracted}`,
      email: `billing+${companies.contracted}@example.jp`,
      phone: '03-1234-5678',
      preferred_locales: ['ja'],
      address: { country: 'jp', postal_code: '1410031', state: '東京都', city: '品川区', line1: '西五反田2-8-1', line2: '五反田ファーストビル' },
    },
    options,
  );
  const contractedSubscription = await subscribe(stripe, contractedCustomer.id, catalog, options);

  const canceledCustomer = await createTrialCustomer(stripe, companies.canceled, options);
  const toCancel = await subscribe(stripe, canceledCustomer.id, catalog, options);
  const canceledSubscription = await stripe.subscriptions.cancel(toCancel.id, { invoice_now: false, prorate: false }, options);

  return { catalog, trialCustomer, contractedCustomer, contractedSubscription, canceledCustomer, canceledSubscription };
}

/** Fixed price + metered price: two items, the fixed one always of quantity 1. */
function subscribe(stripe: Stripe, customer: string, catalog: FreeeCatalog, options: Stripe.RequestOptions): Promise<Stripe.Subscription> {
  return stripe.subscriptions.create(
    {
      customer,
      items: [{ quantity: 1, price: catalog.fixedPrice.id }, { price: catalog.meteredPrice.id }],
      default_tax_rates: [catalog.taxRate.id],
      default_payment_method: 'pm_card_visa',
    },
    options,
  );
}
