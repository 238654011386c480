import { randomBytes } from 'node:crypto';
import { ApplicationsService } from '../../src/tenancy/applications.service.js';
import { createTier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { countWebhookEvents, postWebhook, query, stripeEvent, stripeSignature, type AdminEvent } from '../support/webhooks.js';

describe('the webhook endpoint refuses what Stripe did not send and stores what it did, once', () => {
  let s: Stack;
  let secret: string;
  beforeAll(async () => {
    s = await startStack();
    [secret] = await s.app.get(ApplicationsService).currentWebhookSecrets('default');
  });
  afterAll(() => s.close());

  const adminEvents = async (queryString = '') => {
    const res = await s.admin(s.http().get(`/admin/webhook-events${queryString}`)).expect(200);
    return (res.body as { data: AdminEvent[] }).data;
  };
  const adminEvent = async (id: string) => (await s.admin(s.http().get(`/admin/webhook-events/${id}`)).expect(200)).body as AdminEvent & { payload: { id: string } };
  const drain = () => s.settle();

  describe('bad input gets a 4xx in the error format and stores nothing', () => {
    const anEvent = () => stripeEvent('payment_intent.created', { id: 'pi_1', object: 'payment_intent' });
    const now = () => Math.floor(Date.now() / 1000);

    const cases: [string, () => Promise<{ status: number; code: string }>][] = [
      [
        'a missing signature',
        async () => ({ status: 400, code: 'missing_signature', ...(await send(anEvent().body, undefined)) }),
      ],
      [
        'a signature header without timestamp or v1',
        async () => ({ status: 400, code: 'malformed_signature', ...(await send(anEvent().body, 'v0=abc,foo')) }),
      ],
      [
        'a forged signature',
        async () => ({ status: 400, code: 'invalid_signature', ...(await send(anEvent().body, `t=${now()},v1=${randomBytes(32).toString('hex')}`)) }),
      ],
      [
        'a signature made with the right secret over another body',
        async () => ({ status: 400, code: 'invalid_signature', ...(await send(anEvent().body, stripeSignature(secret, anEvent().body))) }),
      ],
      [
        'a stale timestamp signed with the right secret',
        async () => {
          const { body } = anEvent();
          return { status: 400, code: 'stale_signature', ...(await send(body, stripeSignature(secret, body, now() - 3600))) };
        },
      ],
      [
        'the secret of another application',
        async () => {
          const other = await s.admin(s.http().post('/admin/applications')).send({ id: 'other-app', name: 'Other', merchant_id: 'platform' }).expect(201);
          const otherSecret = (other.body as { webhook_secret: string }).webhook_secret;
          expect(otherSecret).toMatch(/^whsec_/);
          const { body } = anEvent();
          return { status: 400, code: 'invalid_signature', ...(await send(body, stripeSignature(otherSecret, body))) };
        },
      ],
      [
        'a body that is not JSON (correctly signed)',
        async () => {
          const body = 'id=evt_1&type=invoice.paid';
          return { status: 400, code: 'malformed_json', ...(await send(body, stripeSignature(secret, body))) };
        },
      ],
      ['an empty body', async () => ({ status: 400, code: 'invalid_payload', ...(await send('', stripeSignature(secret, ''))) })],
      [
        'a 5 MB body',
        async () => {
          const body = JSON.stringify({ id: 'evt_big', object: 'event', type: 'invoice.paid', created: now(), data: { object: { pad: 'x'.repeat(5 * 1024 * 1024) } } });
          return { status: 413, code: 'payload_too_large', ...(await send(body, stripeSignature(secret, body))) };
        },
      ],
      [
        'JSON that is not a Stripe event (correctly signed)',
        async () => {
          const body = JSON.stringify({ hello: 'world', type: 'invoice.paid' });
          return { status: 400, code: 'invalid_event', ...(await send(body, stripeSignature(secret, body))) };
        },
      ],
      [
        'an event whose id is not a Stripe event id (correctly signed)',
        async () => {
          const body = JSON.stringify({ id: "1'; drop table webhook_events; --", object: 'event', type: 'invoice.paid', created: now(), data: { object: {} } });
          return { status: 400, code: 'invalid_event', ...(await send(body, stripeSignature(secret, body))) };
        },
      ],
      [
        'an unknown application',
        async () => {
          const { body } = anEvent();
          const res = await postWebhook(s.http, 'no-such-app', body, stripeSignature(secret, body));
          return { status: 404, code: 'application_not_found', actual: { status: res.status, body: res.body as unknown } };
        },
      ],
    ];

    async function send(body: string, signature: string | undefined) {
      const res = await postWebhook(s.http, 'default', body, signature);
      return { actual: { status: res.status, body: res.body as unknown } };
    }

    it.each(cases)('%s', async (_name, run) => {
      const before = await countWebhookEvents(s.app);
      const { status, code, actual } = (await run()) as { status: number; code: string; actual: { status: number; body: unknown } };
      expect(actual).toMatchObject({ status, body: { error: { code, message: expect.any(String) } } });
      expect(await countWebhookEvents(s.app)).toBe(before);
    });
  });

  it('stores a valid event once: the first delivery is new, the same again is a duplicate, one row', async () => {
    const { id, body } = stripeEvent('payment_intent.created', { id: 'pi_1', object: 'payment_intent' });
    const first = await postWebhook(s.http, 'default', body, stripeSignature(secret, body)).expect(200);
    expect(first.body).toEqual({ received: true, duplicate: false });
    // Stripe re-sends with a fresh timestamp: still the same event.
    const again = await postWebhook(s.http, 'default', body, stripeSignature(secret, body, Math.floor(Date.now() / 1000) - 5)).expect(200);
    expect(again.body).toEqual({ received: true, duplicate: true });
    expect(await query<{ id: string }>(s.app, 'select id from webhook_events where id = ?', [id])).toHaveLength(1);
    expect(await adminEvent(id)).toMatchObject({ id, application_id: 'default', stripe_account: 'platform', state: 'received', attempts: 0, payload: { id } });
  });

  it('acknowledges and stores an event of a type it has no handler for; the worker marks it processed', async () => {
    const { id, body } = stripeEvent('radar.early_fraud_warning.created', { id: 'issfr_1', object: 'radar.early_fraud_warning' });
    expect((await postWebhook(s.http, 'default', body, stripeSignature(secret, body)).expect(200)).body).toEqual({ received: true, duplicate: false });
    expect(await adminEvent(id)).toMatchObject({ type: 'radar.early_fraud_warning.created', state: 'received' });
    await drain();
    expect(await adminEvent(id)).toMatchObject({ state: 'processed', attempts: 1, last_error: null, processed_at: expect.any(String) });
  });

  it('keeps Connect events of an unknown connected account as dead and flagged, and applies them once the merchant exists and they are replayed', async () => {
    const account = await s.connectedAccount('acct_unknown');
    const onAccount = { stripeAccount: account };

    // The stack's worker runs only when the test drains it, so what arrives stays as received until then.
    const tier = await createTier(s.stripe, 'connected', [], onAccount);
    const customer = await s.stripe.customers.create({ email: 'owner@shop.example', metadata: { account_id: 'SHOP' }, invoice_settings: { default_payment_method: 'pm_card_visa' } }, onAccount);
    const subscription = await s.stripe.subscriptions.create({ customer: customer.id, items: [{ price: tier.monthly.id }], metadata: { account_id: 'SHOP', application_id: 'default' } }, onAccount);
    expect(subscription.status).toBe('active');
    await s.emulator.flushWebhooks();

    // Stored (and acknowledged to Stripe) with the flag, before the worker ran.
    const stored = await adminEvents('?flag=unknown_account&limit=500');
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.every((e) => e.stripe_account === account && e.state === 'received')).toBe(true);
    expect(stored.map((e) => e.type)).toEqual(expect.arrayContaining(['customer.subscription.created', 'invoice.paid']));

    await drain();
    const dead = await adminEvents('?flag=unknown_account&limit=500');
    expect(dead.map((e) => e.id).sort()).toEqual(stored.map((e) => e.id).sort());
    for (const e of dead) {
      expect(e).toMatchObject({ state: 'dead', flag: 'unknown_account', processed_at: null });
      expect(e.last_error).toContain(account);
    }
    expect(await adminEvents('?state=dead&flag=unknown_account&limit=500')).toHaveLength(dead.length);
    expect(await query(s.app, 'select id from subscriptions where id = ?', [subscription.id])).toEqual([]);

    await s.admin(s.http().post('/admin/merchants')).send({ id: 'unknown-shop', display_name: 'Shop', charge_model: 'direct', stripe_account_id: account }).expect(201);
    const replayed = await s.admin(s.http().post('/admin/webhook-events/replay-dead')).expect(200);
    expect(replayed.body).toEqual({ requeued: dead.length });
    await drain();

    expect(await adminEvents('?flag=unknown_account')).toEqual([]);
    for (const e of dead) expect(await adminEvent(e.id)).toMatchObject({ state: 'processed', attempts: 1, flag: null, last_error: null });
    const [mirrored] = await query<{ status: string; merchant_id: string; stripe_account: string; account_id: string; application_id: string }>(s.app, 'select * from subscriptions where id = ?', [subscription.id]);
    expect(mirrored).toMatchObject({ status: 'active', merchant_id: 'unknown-shop', stripe_account: account, account_id: 'SHOP', application_id: 'default' });
    const items = await query<{ price_id: string }>(s.app, 'select price_id from subscription_items where subscription_id = ?', [subscription.id]);
    expect(items).toEqual([{ price_id: tier.monthly.id }]);
  });

  it('keeps accepting the previous secret during a rotation overlap, and refuses it after', async () => {
    const oldSecret = `whsec_${randomBytes(16).toString('hex')}`;
    await s.admin(s.http().post('/admin/applications')).send({ id: 'rotating', name: 'Rotating', merchant_id: 'platform', webhook_secret: oldSecret }).expect(201);
    const deliver = (withSecret: string) => {
      const { body } = stripeEvent('radar.early_fraud_warning.updated', { id: 'issfr_2', object: 'radar.early_fraud_warning' });
      return postWebhook(s.http, 'rotating', body, stripeSignature(withSecret, body));
    };
    expect((await deliver(oldSecret)).status).toBe(200);

    const rotated = await s.admin(s.http().post('/admin/applications/rotating/webhook-secret/rotate')).send({ overlap_hours: 1 }).expect(200);
    const newSecret = (rotated.body as { secret: string }).secret;
    expect(newSecret).toMatch(/^whsec_/);
    expect((await deliver(oldSecret)).status).toBe(200);
    expect((await deliver(newSecret)).status).toBe(200);

    // The overlap is measured on the service's clock, which follows the emulator's.
    s.emulator.advance(3600 + 60);
    const before = await countWebhookEvents(s.app);
    const refused = await deliver(oldSecret);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: 'invalid_signature', message: expect.any(String) } });
    expect(await countWebhookEvents(s.app)).toBe(before);
    expect((await deliver(newSecret)).status).toBe(200);
  });
});
