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
    // A second later (so that its cancellation is applied from the webhook's snapshot, not refetched
    // as an event of the same second would be), the first customer is deleted (its subscription
    // canceled); the account subscribes again as a new customer.
    await s.advance(1);
    await s.stripe.customers.del(before.customer.id);
    await s.settle();
    const after = await subscribe();
    await s.settle();
    const [identity] = await query<{ stripe_customer_id: string }>(s, `select stripe_customer_id from identities where account_id = 'MOVED-CO'`);
    expect(identity!.stripe_customer_id).toBe(after.customer.id);

    // The run lists in a later second than every event: its version passes the guard, so each
    // subscription is compared with what the webhooks stored. (Listed within the events' second, it
    // would be older than them and left alone, which hid the flake below: 0, 1 or 2 "unchanged"
    // depending on where the clock's second fell.) Both are as the webhooks left them, so both are
    // unchanged, although a webhook's snapshot comes back from the inbox's jsonb with its keys in
    // another order than the listing's (raw_hash is taken over sorted keys).
    await s.advance(2);
    const run = await reconcile(s, { scope: 'account', account_id: 'MOVED-CO', allow_deletes: true });
    expect(run).toMatchObject({ status: 'succeeded', created: 0, updated: 0, deleted: 0, flagged: 0, unchanged: 2 });
    await expectMirrored(s, before.sub.id);
    await expectMirrored(s, after.sub.id);
    const rows = await query<{ id: string; account_id: string }>(s, 'select id, account_id from subscriptions order by id');
    expect(rows).toEqual([before.sub.id, after.sub.id].sort().map((id) => ({ id, account_id: 'MOVED-CO' })));
  });
});
