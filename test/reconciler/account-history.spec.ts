import { createTier } from '../support/catalog.js';
import { query } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';
import { expectMirrored, reconcile } from './helpers.js';

/**
 * Issue 7, an account reconcile of an account that changed customers: its earlier customer's
 * subscriptions are still Stripe's (canceled when the customer was deleted), so a run of that
 * account keeps them, even with allow_deletes.
 */
describe('an account reconcile of an account with an earlier customer', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(() => s.close());

  it('lists every customer the account has had and removes nothing Stripe still has', async () => {
    const tier = await createTier(s.stripe, 'history', ['history_reports']);
    const subscribe = async () => {
      const customer = await s.stripe.customers.create({ metadata: { account_id: 'MOVED-CO' } });
      const sub = await s.stripe.subscriptions.create({ customer: customer.id, items: [{ price: tier.monthly.id }], default_payment_method: 'pm_card_visa', metadata: { account_id: 'MOVED-CO', application_id: 'default' } });
      return { customer, sub };
    };
    const before = await subscribe();
    await s.settle();
    // The first customer is deleted (its subscription canceled); the account subscribes again as a new customer.
    await s.stripe.customers.del(before.customer.id);
    await s.settle();
    const after = await subscribe();
    await s.settle();
    const [identity] = await query<{ stripe_customer_id: string }>(s, `select stripe_customer_id from identities where account_id = 'MOVED-CO'`);
    expect(identity!.stripe_customer_id).toBe(after.customer.id);

    const run = await reconcile(s, { scope: 'account', account_id: 'MOVED-CO', allow_deletes: true });
    expect(run).toMatchObject({ status: 'succeeded', deleted: 0, flagged: 0, unchanged: 2 });
    await expectMirrored(s, before.sub.id);
    await expectMirrored(s, after.sub.id);
    const rows = await query<{ id: string; account_id: string }>(s, 'select id, account_id from subscriptions order by id');
    expect(rows).toEqual([before.sub.id, after.sub.id].sort().map((id) => ({ id, account_id: 'MOVED-CO' })));
  });
});
