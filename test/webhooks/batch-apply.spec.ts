import { ApplicationsService } from '../../src/tenancy/applications.service.js';
import { WebhookWorker } from '../../src/webhooks/webhook-worker.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { postWebhook, query, stripeSignature } from '../support/webhooks.js';

/**
 * Subscription events applied a batch at a time, in a few statements for the whole batch, with the
 * outcome of applying them one at a time.
 */
describe('a batch of subscription events applied together', () => {
  let t: TestApp;
  let secret: string;
  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_WORKER_ENABLED: 'false' });
    [secret] = await t.app.get(ApplicationsService).currentWebhookSecrets('default');
  });
  afterAll(() => t.close());

  const created = Math.floor(Date.now() / 1000) - 3600;
  let n = 0;
  const subscriptionEvent = (sub: string, customer: string, account: string, quantity = 1) => {
    const body = JSON.stringify({
      id: `evt_batch_links_${++n}`,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: created + n,
      livemode: false,
      type: 'customer.subscription.created',
      data: {
        object: {
          id: sub,
          object: 'subscription',
          customer,
          status: 'active',
          cancel_at_period_end: false,
          created,
          start_date: created,
          latest_invoice: null,
          metadata: { account_id: account },
          items: { object: 'list', has_more: false, data: [{ id: `si_${sub}`, object: 'subscription_item', quantity, current_period_start: created, current_period_end: created + 30 * 86_400, price: { id: 'price_links', object: 'price', product: 'prod_links', recurring: { interval: 'month', usage_type: 'licensed' } } }] },
        },
      },
    });
    return postWebhook(t.http, 'default', body, stripeSignature(secret, body)).expect(200);
  };
  const identities = () => query<{ account_id: string; stripe_customer_id: string }>(t.app, `select account_id, stripe_customer_id from identities where account_id like 'LINKS-%' order by account_id, stripe_customer_id`);
  const accountOf = async (sub: string) => (await query<{ account_id: string | null }>(t.app, 'select account_id from subscriptions where id = ?', [sub]))[0]?.account_id;

  // The customers it meets are linked to the accounts their metadata names in one write, with the
  // rules of a link made one at a time: a customer linked already keeps its account, and an account
  // keeps the first customer linked to it.
  it('links each new customer once, keeps existing links and lets an account keep its first customer', async () => {
    await subscriptionEvent('sub_links_old', 'cus_links_old', 'LINKS-OLD');
    await t.app.get(WebhookWorker).drain();
    expect(await identities()).toEqual([{ account_id: 'LINKS-OLD', stripe_customer_id: 'cus_links_old' }]);

    // One batch: two subscriptions of one new customer, a second customer naming the same account, and a linked customer naming another account.
    await subscriptionEvent('sub_links_1', 'cus_links_new', 'LINKS-NEW');
    await subscriptionEvent('sub_links_2', 'cus_links_new', 'LINKS-NEW');
    await subscriptionEvent('sub_links_3', 'cus_links_other', 'LINKS-NEW');
    await subscriptionEvent('sub_links_4', 'cus_links_old', 'LINKS-TAKEOVER');
    expect(await t.app.get(WebhookWorker).drain()).toBe(4);

    expect(await identities()).toEqual([
      { account_id: 'LINKS-NEW', stripe_customer_id: 'cus_links_new' },
      { account_id: 'LINKS-OLD', stripe_customer_id: 'cus_links_old' },
    ]);
    expect(await accountOf('sub_links_1')).toBe('LINKS-NEW');
    expect(await accountOf('sub_links_2')).toBe('LINKS-NEW');
    // A forged metadata value does not move a linked customer's subscription to another account.
    expect(await accountOf('sub_links_4')).toBe('LINKS-OLD');
    const [processed] = await query<{ n: string }>(t.app, `select count(*) as n from webhook_events where id like 'evt_batch_links_%' and state = 'processed'`);
    expect(Number(processed!.n)).toBe(5);
  });

  it('an event PostgreSQL refuses fails alone: its neighbours in the batch are applied, it is dead with the reason', async () => {
    await subscriptionEvent('sub_batch_ok_1', 'cus_batch_ok_1', 'LINKS-BATCH-1');
    // A quantity beyond PostgreSQL's integer: the bulk write of the batch fails on it.
    await subscriptionEvent('sub_batch_bad', 'cus_batch_bad', 'LINKS-BATCH-BAD', 1e12);
    await subscriptionEvent('sub_batch_ok_2', 'cus_batch_ok_2', 'LINKS-BATCH-2');
    expect(await t.app.get(WebhookWorker).drain()).toBe(3);

    const states = await query<{ id: string; state: string; flag: string | null; last_error: string | null }>(
      t.app,
      `select id, state, flag, last_error from webhook_events where id in (?, ?, ?) order by id`,
      [`evt_batch_links_${n - 2}`, `evt_batch_links_${n - 1}`, `evt_batch_links_${n}`],
    );
    expect(states.map((e) => [e.state, e.flag])).toEqual([['processed', null], ['dead', 'unappliable'], ['processed', null]]);
    expect(states[1]!.last_error).toMatch(/out of range/);
    expect(await accountOf('sub_batch_ok_1')).toBe('LINKS-BATCH-1');
    expect(await accountOf('sub_batch_ok_2')).toBe('LINKS-BATCH-2');
    expect(await accountOf('sub_batch_bad')).toBeUndefined();
  });
});
