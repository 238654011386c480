import type Stripe from 'stripe';
import { createTier, type Tier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { query, type AdminEvent } from '../support/webhooks.js';

/** Stripe failing every retrieve of a subscription: what a checkout.session.completed needs. */
const SUBSCRIPTION_FETCH_FAILS = { api: [{ path: '/v1/subscriptions', method: 'GET', status: 500 }] };

describe('a webhook event whose handler fails is retried with backoff, dies after the last attempt, and can be replayed', () => {
  let s: Stack;
  let tier: Tier;
  beforeAll(async () => {
    // Two attempts: the first failure is retried, the second is the last. The SDK's own retries are
    // off so that a failing Stripe call fails at once instead of after its back-off.
    s = await startStack({ WEBHOOK_MAX_ATTEMPTS: '2', WEBHOOK_RETRY_BASE_SECONDS: '10', STRIPE_MAX_NETWORK_RETRIES: '0' });
    tier = await createTier(s.stripe, 'retried', ['retried_feature']);
  });
  afterAll(() => s.close());
  afterEach(() => s.emulator.clearFaults());

  const list = async (qs: string) => ((await s.admin(s.http().get(`/admin/webhook-events${qs}`)).expect(200)).body as { data: AdminEvent[] }).data;
  const get = async (id: string) => (await s.admin(s.http().get(`/admin/webhook-events/${id}`)).expect(200)).body as AdminEvent;
  const detail = async (id: string) => (await s.admin(s.http().get(`/admin/webhook-events/${id}`)).expect(200)).body as AdminEvent & { payload: { data: { object: { id: string } } } };
  const stats = async () => (await s.admin(s.http().get('/admin/webhook-events/stats')).expect(200)).body as Record<string, number>;
  const emulatorNowMs = () => s.emulator.now() * 1000;

  /** A customer pays a checkout on Stripe; returns the subscription Stripe made and the id of the checkout.session.completed event stored for it. */
  async function paidCheckout(accountId: string): Promise<{ subscriptionId: string; completedEventId: string }> {
    const session = await s.stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: tier.monthly.id, quantity: 2 }],
      client_reference_id: accountId,
      metadata: { account_id: accountId, application_id: 'default' },
      subscription_data: { metadata: { account_id: accountId, application_id: 'default' } },
      success_url: 'http://localhost:3000/ok',
      cancel_url: 'http://localhost:3000/cancel',
    });
    await s.payCheckout(session.id);
    await s.emulator.flushWebhooks();
    const paid = await s.stripe.checkout.sessions.retrieve(session.id);
    const stored = await Promise.all((await list('?type=checkout.session.completed&limit=500')).map((e) => detail(e.id)));
    const completed = stored.filter((e) => e.payload.data.object.id === session.id);
    expect(completed).toHaveLength(1);
    return { subscriptionId: paid.subscription as string, completedEventId: completed[0]!.id };
  }

  /** The mirror of a subscription agrees with Stripe on what the account sees. */
  async function expectMirrorOf(subscriptionId: string, accountId: string) {
    const fresh = await s.stripe.subscriptions.retrieve(subscriptionId, { expand: ['latest_invoice'] });
    const [row] = await query<{ status: string; account_id: string; latest_invoice_status: string; current_period_end: Date; access_until: Date }>(
      s.app,
      'select * from subscriptions where id = ?',
      [subscriptionId],
    );
    expect(row).toMatchObject({ status: fresh.status, account_id: accountId, latest_invoice_status: (fresh.latest_invoice as Stripe.Invoice).status });
    expect(new Date(row!.current_period_end).getTime() / 1000).toBe(fresh.items.data[0]!.current_period_end);
    expect(new Date(row!.access_until).getTime()).toBe(new Date(row!.current_period_end).getTime());
    const items = await query<{ price_id: string; quantity: number }>(s.app, 'select price_id, quantity from subscription_items where subscription_id = ?', [subscriptionId]);
    expect(items).toEqual(fresh.items.data.map((i) => ({ price_id: i.price.id, quantity: i.quantity })));
    const [identity] = await query<{ stripe_customer_id: string }>(s.app, 'select stripe_customer_id from identities where account_id = ?', [accountId]);
    expect(identity?.stripe_customer_id).toBe(fresh.customer);
  }

  it('records the failure with its reason and a later retry time, leaves it alone until then, and applies it on the retry', async () => {
    s.emulator.setFaults(SUBSCRIPTION_FETCH_FAILS);
    const { subscriptionId, completedEventId } = await paidCheckout('RETRY');

    await s.settle();
    const failed = await get(completedEventId);
    expect(failed).toMatchObject({ state: 'failed', attempts: 1, processed_at: null });
    expect(failed.last_error).toBe('stripe_unavailable: Stripe could not be reached or failed; try again.');
    const nextAttempt = new Date(failed.next_attempt_at).getTime();
    // Exponential backoff with jitter: the first retry is between half and the whole base delay away.
    expect(nextAttempt).toBeGreaterThanOrEqual(emulatorNowMs() + 4_000);
    expect(nextAttempt).toBeLessThanOrEqual(emulatorNowMs() + 10_000);
    expect(await list('?state=failed&limit=500')).toEqual(expect.arrayContaining([expect.objectContaining({ id: completedEventId })]));

    // Not due yet: draining again does not touch it, even with Stripe healthy.
    s.emulator.clearFaults();
    await s.settle();
    expect(await get(completedEventId)).toMatchObject({ state: 'failed', attempts: 1 });

    await s.advance(11);
    expect(await get(completedEventId)).toMatchObject({ state: 'processed', attempts: 2, last_error: null, processed_at: expect.any(String) });
    await expectMirrorOf(subscriptionId, 'RETRY');
    expect(await stats()).toEqual({ processed: expect.any(Number) });
  });

  it('marks the event dead after the last attempt; a replay of it, and of every dead one, applies them once Stripe answers', async () => {
    s.emulator.setFaults(SUBSCRIPTION_FETCH_FAILS);
    const { subscriptionId, completedEventId } = await paidCheckout('DEAD');
    await s.settle();
    expect(await get(completedEventId)).toMatchObject({ state: 'failed', attempts: 1 });
    await s.advance(11);
    const dead = await get(completedEventId);
    expect(dead).toMatchObject({ state: 'dead', attempts: 2, processed_at: null });
    expect(dead.last_error).toBe('stripe_unavailable: Stripe could not be reached or failed; try again.');
    // Dead means no further attempts, however much time passes.
    await s.advance(7 * 3600);
    expect(await get(completedEventId)).toMatchObject({ state: 'dead', attempts: 2 });
    const deadOnes = await list('?state=dead&limit=500');
    expect(deadOnes.map((e) => e.id)).toContain(completedEventId);
    expect((await stats()).dead).toBe(deadOnes.length);

    // A replay puts it back in the queue with a fresh count of attempts.
    expect((await s.admin(s.http().post(`/admin/webhook-events/${completedEventId}/replay`)).expect(200)).body).toEqual({ requeued: 1 });
    expect(await get(completedEventId)).toMatchObject({ state: 'received', attempts: 0 });
    s.emulator.clearFaults();
    await s.settle();
    expect(await get(completedEventId)).toMatchObject({ state: 'processed', attempts: 1, last_error: null });

    const others = deadOnes.filter((e) => e.id !== completedEventId);
    expect((await s.admin(s.http().post('/admin/webhook-events/replay-dead')).expect(200)).body).toEqual({ requeued: others.length });
    await s.settle();
    for (const e of others) expect(await get(e.id)).toMatchObject({ state: 'processed', attempts: 1 });
    expect(await list('?state=dead')).toEqual([]);
    expect((await s.admin(s.http().post('/admin/webhook-events/replay-dead')).expect(200)).body).toEqual({ requeued: 0 });
    await expectMirrorOf(subscriptionId, 'DEAD');
  });

  describe('the admin events API', () => {
    it('lists newest first with filters, shows one event with its payload, and counts by state', async () => {
      const all = await list('?limit=500');
      expect(all.length).toBeGreaterThan(3);
      const received = all.map((e) => e.id);
      expect(new Set(received).size).toBe(all.length);
      expect(await list('?limit=2')).toEqual(all.slice(0, 2));
      const invoicesPaid = await list('?type=invoice.paid&application_id=default&state=processed');
      expect(invoicesPaid.length).toBe(2);
      expect(invoicesPaid.every((e) => e.type === 'invoice.paid' && e.application_id === 'default' && e.state === 'processed')).toBe(true);
      expect(await list('?application_id=other')).toEqual([]);

      const one = (await s.admin(s.http().get(`/admin/webhook-events/${invoicesPaid[0]!.id}`)).expect(200)).body as AdminEvent & { payload: { id: string; type: string } };
      expect(one).toMatchObject({ ...invoicesPaid[0], payload: { id: invoicesPaid[0]!.id, type: 'invoice.paid' } });
      expect(await stats()).toEqual({ processed: all.length });
    });

    it.each([
      ['state=bogus'],
      ['state='],
      ['limit=0'],
      ['limit=1000'],
      ['limit=ten'],
      ['limit=1.5'],
      ['type=Not%20A%20Type'],
      ['application_id=%2F..%2F'],
      ['flag=DROP'],
    ])('answers 400 in the error format for ?%s', async (qs) => {
      const res = await s.admin(s.http().get(`/admin/webhook-events?${qs}`)).expect(400);
      expect(res.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    });

    it('answers 404 for an event it does not have, and replays nothing', async () => {
      const before = await stats();
      for (const req of [s.http().get('/admin/webhook-events/evt_unknown'), s.http().post('/admin/webhook-events/evt_unknown/replay')]) {
        const res = await s.admin(req).expect(404);
        expect(res.body).toMatchObject({ error: { code: 'webhook_event_not_found', message: expect.any(String) } });
      }
      expect(await stats()).toEqual(before);
    });

    it.each([
      ['GET', '/admin/webhook-events'],
      ['GET', '/admin/webhook-events/stats'],
      ['GET', '/admin/webhook-events/evt_unknown'],
      ['POST', '/admin/webhook-events/evt_unknown/replay'],
      ['POST', '/admin/webhook-events/replay-dead'],
    ])('requires the admin token for %s %s', async (method, path) => {
      const call = () => (method === 'GET' ? s.http().get(path) : s.http().post(path));
      const missing = await call().expect(401);
      expect(missing.body).toMatchObject({ error: { code: 'missing_token' } });
      const wrong = await call().set('authorization', 'Bearer not-the-admin-token-at-all-0000').expect(401);
      expect(wrong.body).toMatchObject({ error: { code: 'invalid_admin_token' } });
    });
  });
});
