import type Stripe from 'stripe';
import { issueKey, lookupMap } from '../app-payment-customers/helpers.js';
import { createTier, type Tier } from '../support/catalog.js';
import { mirrorRow, query } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';
import { accountToken } from '../support/test-app.js';
import { expectMirrored, featureKeys, onListing, reconcile } from './helpers.js';

/**
 * Issue 7, drift repair: the mirror missed every webhook of a day of changes (created, price and
 * quantity changed, canceled now and at period end, a customer deleted, a customer's account set in
 * its metadata later, a subscription Stripe does not have). One run makes it equal Stripe's on
 * every kept field, and what accounts and partners read follows.
 */
describe('a reconcile run repairs every kind of drift', () => {
  let s: Stack;
  let basic: Tier;
  let pro: Tier;
  let partnerKey: string;
  const subs: Record<string, Stripe.Subscription> = {};
  const customers: Record<string, Stripe.Customer> = {};

  const basicKeys = () => basic.features.map((f) => f.lookup_key).sort();
  const proKeys = () => pro.features.map((f) => f.lookup_key).sort();

  async function subscribe(accountId: string | null, price: Stripe.Price, quantity = 1): Promise<Stripe.Subscription> {
    const customer = await s.stripe.customers.create({ email: `${accountId ?? 'anon'}@example.com`, ...(accountId ? { metadata: { account_id: accountId } } : {}) });
    customers[accountId ?? customer.id] = customer;
    return s.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id, quantity }],
      default_payment_method: 'pm_card_visa',
      metadata: { application_id: 'default', ...(accountId ? { account_id: accountId } : {}) },
    });
  }

  beforeAll(async () => {
    s = await startStack();
    basic = await createTier(s.stripe, 'basic', ['reports']);
    pro = await createTier(s.stripe, 'pro', ['reports_pro', 'audit_log']);
    partnerKey = (await issueKey(s)).key;
    // The mirror as webhooks left it yesterday.
    subs.upgrade = await subscribe('UPGRADE-CO', basic.monthly);
    subs.seats = await subscribe('SEATS-CO', basic.monthly, 2);
    subs.cancelNow = await subscribe('CANCEL-NOW-CO', pro.monthly);
    subs.cancelLater = await subscribe('CANCEL-LATER-CO', pro.monthly);
    subs.customerGone = await subscribe('GONE-CUSTOMER-CO', basic.monthly);
    subs.untouched = await subscribe('STEADY-CO', pro.yearly, 3);
    // A customer with no account yet: its subscription is mirrored without one.
    const anonymous = await subscribe(null, basic.monthly);
    subs.late = anonymous;
    await s.settle();
    // Today is an hour later (no renewal falls in it).
    await s.advance(3600);
    expect(await featureKeys(s, 'UPGRADE-CO')).toEqual(basicKeys());
    expect((await mirrorRow(s, anonymous.id))!.account_id).toBeNull();
  });
  afterAll(() => s.close());

  it('after one run the mirror equals Stripe and features and the partner lookup follow', async () => {
    // Today's changes, none of whose webhooks arrive.
    s.emulator.setWebhooksEnabled(false);
    const upgraded = await s.stripe.subscriptions.update(subs.upgrade!.id, { items: [{ id: subs.upgrade!.items.data[0]!.id, price: pro.monthly.id }], proration_behavior: 'none' });
    await s.stripe.subscriptions.update(subs.seats!.id, { items: [{ id: subs.seats!.items.data[0]!.id, quantity: 5 }] });
    await s.stripe.subscriptions.cancel(subs.cancelNow!.id);
    await s.stripe.subscriptions.update(subs.cancelLater!.id, { cancel_at_period_end: true });
    await s.stripe.customers.del(customers['GONE-CUSTOMER-CO']!.id);
    await s.stripe.customers.update(customers[subs.late!.customer as string]!.id, { metadata: { account_id: 'LATE-CO' } });
    subs.created = await subscribe('NEW-CO', pro.monthly, 4);
    // A subscription the mirror has and Stripe does not (a test mode wipe, a row restored from a backup).
    await query(
      s,
      `insert into subscriptions (id, stripe_account, merchant_id, application_id, account_id, customer_id, status, cancel_at_period_end, current_period_end, access_until, stripe_created, stripe_version, raw, metadata, created_at, updated_at)
       values ('sub_vanished', 'platform', 'platform', 'default', 'VANISHED-CO', 'cus_vanished', 'active', false, now() + interval '20 days', now() + interval '20 days', now(), 1, '{}', '{}', now(), now())`,
    );
    await query(s, `insert into subscription_items (id, subscription_id, price_id, product_id, quantity, usage_type) values ('si_vanished', 'sub_vanished', ?, ?, 1, 'licensed')`, [basic.monthly.id, basic.product.id]);

    // Nothing arrived: the mirror is wrong everywhere.
    expect(upgraded.items.data[0]!.price.id).toBe(pro.monthly.id);
    expect(await featureKeys(s, 'UPGRADE-CO')).toEqual(basicKeys());
    expect(await featureKeys(s, 'CANCEL-NOW-CO')).toEqual(proKeys());
    expect(await featureKeys(s, 'NEW-CO')).toEqual([]);
    expect(await featureKeys(s, 'LATE-CO')).toEqual([]);

    // Stripe expands a deleted customer to its `deleted: true` stub; the emulator leaves its id (emulator/src/http/expand.ts).
    const goneCustomer = customers['GONE-CUSTOMER-CO']!.id;
    const restore = onListing(s, (_n, page) => {
      for (const sub of page.data) if (sub.customer === goneCustomer) sub.customer = { id: goneCustomer, object: 'customer', deleted: true };
    });
    let run;
    try {
      run = await reconcile(s);
    } finally {
      restore();
    }
    expect(run).toMatchObject({ status: 'succeeded', scope: 'platform', trigger: 'admin', allow_deletes: false, error: null, created: 1, updated: 6, unchanged: 1, deleted: 0, flagged: 1 });
    expect(run.finished_at).not.toBeNull();

    for (const sub of Object.values(subs)) await expectMirrored(s, sub.id);
    const stripeIds = Object.values(subs).map((sub) => sub.id).sort();
    const mirrored = (await query<{ id: string }>(s, 'select id from subscriptions order by id')).map((r) => r.id);
    expect(mirrored).toEqual([...stripeIds, 'sub_vanished'].sort());

    // What each account may use now.
    expect(await featureKeys(s, 'UPGRADE-CO')).toEqual(proKeys());
    expect(await featureKeys(s, 'SEATS-CO')).toEqual(basicKeys());
    expect(await featureKeys(s, 'CANCEL-NOW-CO')).toEqual([]);
    expect(await featureKeys(s, 'CANCEL-LATER-CO')).toEqual(proKeys());
    expect(await featureKeys(s, 'GONE-CUSTOMER-CO')).toEqual([]);
    expect(await featureKeys(s, 'STEADY-CO')).toEqual(proKeys());
    expect(await featureKeys(s, 'NEW-CO')).toEqual(proKeys());
    expect(await featureKeys(s, 'LATE-CO')).toEqual(basicKeys());

    // What a partner reads.
    const companies = await lookupMap(s, partnerKey, ['UPGRADE-CO', 'SEATS-CO', 'CANCEL-NOW-CO', 'CANCEL-LATER-CO', 'GONE-CUSTOMER-CO', 'STEADY-CO', 'NEW-CO', 'LATE-CO']);
    expect(companies.get('UPGRADE-CO')).toMatchObject({ stripe_price_id: pro.monthly.id, quantity: 1, status: 'active', contracted: true, stripe_subscription_ids: [subs.upgrade!.id] });
    expect(companies.get('SEATS-CO')).toMatchObject({ stripe_price_id: basic.monthly.id, quantity: 5, status: 'active', contracted: true });
    expect(companies.get('CANCEL-NOW-CO')).toMatchObject({ status: 'canceled', contracted: false, stripe_subscription_ids: [subs.cancelNow!.id] });
    expect(companies.get('CANCEL-LATER-CO')).toMatchObject({ status: 'active', contracted: true });
    expect(companies.get('GONE-CUSTOMER-CO')).toMatchObject({ status: 'canceled', contracted: false });
    expect(companies.get('STEADY-CO')).toMatchObject({ stripe_price_id: pro.yearly.id, quantity: 3, status: 'active', contracted: true });
    expect(companies.get('NEW-CO')).toMatchObject({ stripe_customer_id: customers['NEW-CO']!.id, stripe_price_id: pro.monthly.id, quantity: 4, status: 'active', contracted: true, stripe_subscription_ids: [subs.created!.id] });
    expect(companies.get('LATE-CO')).toMatchObject({ stripe_customer_id: subs.late!.customer, stripe_subscription_ids: [subs.late!.id], status: 'active', contracted: true });

    // The identity the reconciler linked from the customer's metadata is the account's identity.
    const lateToken = await accountToken({ acc: 'LATE-CO', role: 'owner' });
    const identity = await s.http().get('/api/subscriptions/identity').set('authorization', `Bearer ${lateToken}`);
    expect(identity.status).toBe(200);
    expect(identity.body).toMatchObject({ account_id: 'LATE-CO', stripe_customer_id: subs.late!.customer });
    // The deleted customer no longer stands for its account (as customer.deleted would have said): a new purchase makes a new one.
    const goneToken = await accountToken({ acc: 'GONE-CUSTOMER-CO', role: 'owner' });
    const gone = await s.http().get('/api/subscriptions/identity').set('authorization', `Bearer ${goneToken}`);
    expect({ status: gone.status, code: gone.body.error?.code }).toEqual({ status: 404, code: 'identity_not_found' });
  });

  it('allow_deletes=false keeps and flags what Stripe does not have; allow_deletes=true removes it', async () => {
    const kept = await query<{ missing_in_stripe_at: Date | null }>(s, `select missing_in_stripe_at from subscriptions where id = 'sub_vanished'`);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.missing_in_stripe_at).not.toBeNull();
    const token = await accountToken({ acc: 'VANISHED-CO', role: 'owner' });
    const listed = await s.http().get('/api/subscriptions').set('authorization', `Bearer ${token}`);
    expect(listed.body.data.map((sub: { id: string }) => sub.id)).toEqual(['sub_vanished']);
    // Kept means kept: until someone looks (or a run with allow_deletes), the account keeps what it had.
    expect(await featureKeys(s, 'VANISHED-CO')).toEqual(basicKeys());

    // Flagging again is idempotent: the flag keeps its first time.
    const again = await reconcile(s, { allow_deletes: false });
    expect(again).toMatchObject({ status: 'succeeded', created: 0, updated: 0, deleted: 0, flagged: 1 });
    const stillKept = await query<{ missing_in_stripe_at: Date | null }>(s, `select missing_in_stripe_at from subscriptions where id = 'sub_vanished'`);
    expect(new Date(stillKept[0]!.missing_in_stripe_at!).getTime()).toBe(new Date(kept[0]!.missing_in_stripe_at!).getTime());

    const removing = await reconcile(s, { allow_deletes: true });
    expect(removing).toMatchObject({ status: 'succeeded', allow_deletes: true, created: 0, updated: 0, deleted: 1, flagged: 0 });
    expect(await query(s, `select id from subscriptions where id = 'sub_vanished'`)).toEqual([]);
    expect(await query(s, `select id from subscription_items where subscription_id = 'sub_vanished'`)).toEqual([]);
    expect(await featureKeys(s, 'VANISHED-CO')).toEqual([]);
    expect((await s.http().get('/api/subscriptions').set('authorization', `Bearer ${token}`)).body.data).toEqual([]);
    expect((await lookupMap(s, partnerKey, ['VANISHED-CO'])).get('VANISHED-CO')?.stripe_subscription_ids ?? []).toEqual([]);
    // Stripe's subscriptions are all still there.
    for (const sub of Object.values(subs)) await expectMirrored(s, sub.id);

    const runs = await s.admin(s.http().get('/admin/reconcile-runs')).expect(200);
    expect(runs.body.data.map((r: { id: string }) => r.id).slice(0, 2)).toEqual([removing.id, again.id]);
  });
});
