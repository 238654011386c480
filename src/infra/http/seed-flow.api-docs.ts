/**
 * The one story the OpenAPI examples tell, from the seeds: the app store sells "Inbox Manager"
 * (seed 001's client app) through the platform's Stripe account; 株式会社さくら商事, freee company
 * 3001002, buys the monthly plan (¥3,000 a month) through Checkout, pays, has the subscription
 * mirrored at once (checkout-session-sync), uses its features, moves to the yearly plan
 * (¥30,000 a year), cancels at the period end and resumes; a partner (freee-style) looks the
 * company's contract up by company_id (seed 004). Company 3001001 is in a platform trial.
 * Every example of every operation uses these ids, so that an integrator can follow one flow.
 */
export const FLOW = {
  applicationId: 'inbox-manager',
  applicationName: 'Inbox Manager',
  origin: 'https://app.inbox-manager.com',
  merchantId: 'platform',
  connectedMerchantId: 'sakura-apps',
  connectedAccount: 'acct_1QyT0aSakuraApps1',
  accountId: '3001002',
  trialAccountId: '3001001',
  companyName: '株式会社さくら商事',
  email: 'keiri@sakura-shoji.example.jp',
  productId: 'prod_QyT0sInboxManager',
  monthlyPrice: 'price_1QyT0tLkdIwHu7ixfixed001',
  yearlyPrice: 'price_1QyT0tLkdIwHu7ixyearly01',
  meteredPrice: 'price_1QyT0tLkdIwHu7ixmeter01',
  customerId: 'cus_QyT0vKp2mLq8Rz',
  trialCustomerId: 'cus_QyT0uSjQ5sYx3A',
  checkoutSessionId: 'cs_test_a1B2c3D4e5F6g7H8i9J0kLmN',
  subscriptionId: 'sub_1QyT0wLkdIwHu7ixa1b2c3d4',
  subscriptionItemId: 'si_QyT0wKx9Lm2Np4',
  firstInvoiceId: 'in_1QyT0xLkdIwHu7ixPaid0001',
  yearlyInvoiceId: 'in_1QyT1bLkdIwHu7ixYear0001',
  apiKeyId: '2f1c7d4e-8a0b-4c39-9d0e-5b7f3f1e2a61',
  runId: '6f1c7d4e-8a0b-4c39-9d0e-5b7f3f1e2a61',
  eventId: 'evt_1QyT1aLkdIwHu7ixInvPaid1',
} as const;

/** The subscription after checkout and payment: the monthly plan, paid, with access to the period end. */
export const MONTHLY_SUBSCRIPTION = {
  id: FLOW.subscriptionId,
  status: 'active',
  application_id: FLOW.applicationId,
  merchant_id: FLOW.merchantId,
  customer_id: FLOW.customerId,
  cancel_at_period_end: false,
  cancel_at: null,
  canceled_at: null,
  ended_at: null,
  current_period_start: '2026-11-20T01:23:45.000Z',
  current_period_end: '2026-12-20T01:23:45.000Z',
  trial_end: null,
  latest_invoice_id: FLOW.firstInvoiceId,
  latest_invoice_status: 'paid',
  access_until: '2026-12-20T01:23:45.000Z',
  has_access: true,
  contracted: true,
  items: [{ id: FLOW.subscriptionItemId, price_id: FLOW.monthlyPrice, product_id: FLOW.productId, quantity: 1, usage_type: 'licensed' }],
  created: '2026-11-20T01:23:45.000Z',
};

/** After `change {"interval": "year"}`: the yearly price, a new period (the proration invoiced), access to its end. */
export const YEARLY_SUBSCRIPTION = {
  ...MONTHLY_SUBSCRIPTION,
  current_period_start: '2026-11-25T09:00:00.000Z',
  current_period_end: '2027-11-25T09:00:00.000Z',
  latest_invoice_id: FLOW.yearlyInvoiceId,
  access_until: '2027-11-25T09:00:00.000Z',
  items: [{ ...MONTHLY_SUBSCRIPTION.items[0]!, price_id: FLOW.yearlyPrice }],
};

/** After `cancel {"timing": "period_end"}`: still active, ends (and loses access) at the period end. */
export const CANCELING_SUBSCRIPTION = { ...YEARLY_SUBSCRIPTION, cancel_at_period_end: true, cancel_at: '2027-11-25T09:00:00.000Z', canceled_at: '2026-12-01T10:00:00.000Z' };

/** After `cancel {"timing": "immediately"}`: canceled now, no access. */
export const CANCELED_SUBSCRIPTION = {
  ...YEARLY_SUBSCRIPTION,
  status: 'canceled',
  canceled_at: '2026-12-01T10:00:00.000Z',
  ended_at: '2026-12-01T10:00:00.000Z',
  access_until: null,
  has_access: false,
  contracted: false,
};

export const FEATURES = [
  { lookup_key: 'inbox.shared_inbox', name: '共有受信箱 (shared inbox)', subscription_id: FLOW.subscriptionId, trial: false, access_until: '2026-12-20T01:23:45.000Z' },
  { lookup_key: 'inbox.auto_assign', name: '自動割り当て (auto-assign)', subscription_id: FLOW.subscriptionId, trial: false, access_until: '2026-12-20T01:23:45.000Z' },
];
