import type supertest from 'supertest';
import { ApplicationsService } from '../src/tenancy/applications.service.js';
import { startStack, type Stack } from './support/stack.js';
import { accountToken } from './support/test-app.js';
import { countWebhookEvents, postWebhook, query, stripeSignature, webhookPath } from './support/webhooks.js';

/**
 * Input that once reached a stack overflow or PostgreSQL and came back as 500: bodies nested
 * 10,000 deep, NUL bytes and unpaired surrogates in paths, queries and JSON, and signed Stripe
 * events whose strings PostgreSQL cannot store. Each is a 4xx with a stable code that changes
 * nothing, except a correctly signed event, which is stored (and applied) whatever it holds.
 */
describe('hostile input', () => {
  let s: Stack;
  let owner: string;
  let secret: string;
  beforeAll(async () => {
    s = await startStack();
    owner = await accountToken({ acc: 'acct-hostile', role: 'owner' });
    [secret] = await s.app.get(ApplicationsService).currentWebhookSecrets('default');
  });
  afterAll(() => s.close());

  const errorCode = (res: { body: { error?: { code?: string } } }) => res.body.error?.code;
  const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
  const counts = async () =>
    (await query<{ t: string; n: string }>(
      s.app,
      `select 'merchants' as t, count(*) as n from merchants union all select 'applications', count(*) from applications
       union all select 'identities', count(*) from identities union all select 'subscriptions', count(*) from subscriptions
       union all select 'webhook_events', count(*) from webhook_events`,
    )).map((r) => `${r.t}=${r.n}`);

  describe('bodies nested deeper than BODY_MAX_DEPTH are refused with 400 body_too_deep before anything reads them', () => {
    const routes: [string, string, (req: supertest.Test) => supertest.Test][] = [
      ['an account route', '/api/subscriptions/stripe/checkout-session', (req) => req.set('authorization', `Bearer ${owner}`)],
      ['an account-scoped route', '/api/accounts/acct-hostile/subscriptions/change', (req) => req.set('authorization', `Bearer ${owner}`)],
      ['an admin route', '/admin/merchants', (req) => s.admin(req)],
      ['the partner batch lookup', '/api/applications/default/app-payment-customers/batch', (req) => req],
      ['the webhook intake (unsigned)', webhookPath('default'), (req) => req],
    ];
    it.each(routes)('%s', async (_name, path, auth) => {
      const before = await counts();
      for (const body of [deep(10_000), `{"a":${deep(65)}}`, `{"price_id":"x","metadata":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`]) {
        const res = await auth(s.http().post(path)).set('content-type', 'application/json').send(body);
        expect(res.status).toBe(400);
        expect(errorCode(res)).toBe('body_too_deep');
      }
      expect(await counts()).toEqual(before);
    });

    it('a signed webhook event nested too deep is refused before its signature is even read (no real Stripe event nests so)', async () => {
      const body = JSON.stringify({ id: 'evt_deep', object: 'event', type: 'customer.updated', created: 1, data: { object: JSON.parse(deep(70)) } });
      const res = await postWebhook(s.http, 'default', body, stripeSignature(secret, body));
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('body_too_deep');
    });

    it('brackets inside strings do not count, and a body at the limit is read', async () => {
      const res = await s
        .admin(s.http().post('/admin/merchants'))
        .set('content-type', 'application/json')
        .send(JSON.stringify({ display_name: '[[[[{{{{'.repeat(2_000).slice(0, 200), charge_model: 'platform' }));
      expect([201, 400]).toContain(res.status);
      expect(errorCode(res)).not.toBe('body_too_deep');
      const atLimit = await s.admin(s.http().post('/admin/merchants')).set('content-type', 'application/json').send(`{"display_name":${deep(63)}}`);
      expect(atLimit.status).toBe(400);
      expect(errorCode(atLimit)).toBe('validation_failed');
    });
  });

  describe('NUL bytes and unpaired surrogates are refused at the edge with 400 invalid_characters naming the field', () => {
    const cases: [string, () => Promise<{ status: number; body: { error?: { code?: string; message?: string } } }>, string][] = [
      ['a NUL in the webhook path, with no credentials', () => s.http().post('/api/applications/a%00b/subscriptions/stripe/webhook').set('content-type', 'application/json').send('{}'), 'application_id'],
      ['a NUL in a subscription id', () => s.http().post('/api/subscriptions/sub_x%00/cancel').set('authorization', `Bearer ${owner}`).send({ timing: 'immediately' }), 'subscription_id'],
      ['a NUL in an admin path', () => s.admin(s.http().patch('/admin/applications/a%00b')).send({ name: 'x' }), 'application_id'],
      ['a NUL in an event id', () => s.admin(s.http().get('/admin/webhook-events/evt_%00')), 'event_id'],
      ['an unpaired surrogate in a path (not UTF-8: refused by the router)', () => s.admin(s.http().get('/admin/webhook-events/evt_%ED%A0%80')), 'path'],
      ['a NUL in a query value', () => s.http().get('/api/applications/default/app-payment-customers?company_id=1%00').set('x-api-key', 'psk_nope'), 'company_id'],
      [
        'a lone surrogate in a JSON string',
        () => s.admin(s.http().post('/admin/merchants')).set('content-type', 'application/json').send('{"display_name":"\\ud800@example.com","charge_model":"platform"}'),
        'display_name',
      ],
      [
        'a NUL in a nested JSON string',
        () =>
          s.http().post('/api/subscriptions/stripe/checkout-session').set('authorization', `Bearer ${owner}`).set('content-type', 'application/json')
            .send('{"price_id":"price_1","success_url":"https://a.example/\\u0000","cancel_url":"https://a.example/"}'),
        'success_url',
      ],
      ['a NUL in a JSON key', () => s.admin(s.http().post('/admin/merchants')).set('content-type', 'application/json').send('{"display_name\\u0000":"x"}'), 'display_name\u0000'],
    ];
    it.each(cases)('%s', async (_name, send, field) => {
      const before = await counts();
      const res = await send();
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual(expect.objectContaining({ code: 'invalid_characters', details: expect.objectContaining({ field }) }));
      expect(await counts()).toEqual(before);
    });
  });

  describe('a correctly signed Stripe event is never lost for what its strings hold', () => {
    const signed = (event: Record<string, unknown>) => {
      const body = JSON.stringify(event);
      return postWebhook(s.http, 'default', body, stripeSignature(secret, body));
    };

    it('stores an event with NUL and unpaired surrogates (replaced, with a note and the signed bytes), and applies it', async () => {
      const customer = await s.stripe.customers.create({ email: 'odd@example.com', metadata: { account_id: 'acct-odd' } });
      // The emulator's own customer.created is applied first, so that ours is the last word on the name.
      await s.settle();
      const event = {
        id: 'evt_odd_strings',
        object: 'event',
        type: 'customer.updated',
        created: s.emulator.now() + 1,
        livemode: false,
        data: { object: { ...customer, name: 'Odd\u0000Name \ud800', metadata: { account_id: 'acct-odd', 'note\u0000': 'x' } } },
      };
      const res = await signed(event);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ received: true, duplicate: false });
      const again = await signed(event);
      expect(again.body).toEqual({ received: true, duplicate: true });

      const stored = (await s.admin(s.http().get('/admin/webhook-events/evt_odd_strings')).expect(200)).body;
      expect(stored.payload_note).toMatch(/NUL or unpaired surrogates/);
      expect(stored.payload.data.object.name).toBe('Odd\ufffdName \ufffd');
      const [raw] = await query<{ raw_body: Buffer }>(s.app, 'select raw_body from webhook_events where id = ?', ['evt_odd_strings']);
      expect(Buffer.from(raw!.raw_body).toString('utf8')).toBe(JSON.stringify(event));

      await s.settle();
      const applied = (await s.admin(s.http().get('/admin/webhook-events/evt_odd_strings')).expect(200)).body;
      expect(applied.state).toBe('processed');
      const [identity] = await query<{ account_id: string; name: string }>(s.app, 'select account_id, name from identities where stripe_customer_id = ?', [customer.id]);
      expect(identity).toEqual({ account_id: 'acct-odd', name: 'Odd\ufffdName \ufffd' });
    });

    it('a signed event whose object cannot be applied is stored, then dead at once with the reason (no retries), and replayable', async () => {
      const cases = [
        { id: 'evt_unappliable_id', type: 'customer.subscription.updated', object: { id: 42, object: 'subscription', customer: 'cus_1', items: { data: [] } }, reason: /id is not a string/ },
        { id: 'evt_unappliable_items', type: 'customer.subscription.updated', object: { id: 'sub_odd', object: 'subscription', customer: 'cus_1', items: 'none' }, reason: /items.data is not a list/ },
        { id: 'evt_unappliable_currency', type: 'price.updated', object: { id: 'price_odd', object: 'price', product: 'prod_odd', active: true, currency: 'yen!', unit_amount: 1, recurring: null, metadata: {} }, reason: /value too long/ },
        // An array or a fraction where the catalog mirror writes a string or an integer (found by the fuzz suite).
        { id: 'evt_unappliable_name', type: 'product.updated', object: { id: 'prod_odd', object: 'product', name: [], active: true, metadata: {} }, reason: /name is not a string/ },
        { id: 'evt_unappliable_nickname', type: 'price.updated', object: { id: 'price_odd2', object: 'price', product: 'prod_odd', active: true, currency: 'jpy', unit_amount: 1, nickname: ['a', 'b'], recurring: null, metadata: {} }, reason: /nickname is not a string/ },
        { id: 'evt_unappliable_amount', type: 'price.updated', object: { id: 'price_odd3', object: 'price', product: 'prod_odd', active: true, currency: 'jpy', unit_amount: 5e-324, recurring: null, metadata: {} }, reason: /unit_amount is not an integer/ },
        { id: 'evt_unappliable_interval', type: 'price.updated', object: { id: 'price_odd4', object: 'price', product: 'prod_odd', active: true, currency: 'jpy', unit_amount: 1, recurring: { interval: {}, interval_count: 1 }, metadata: {} }, reason: /recurring.interval is not a string/ },
      ];
      for (const c of cases) {
        const res = await signed({ id: c.id, object: 'event', type: c.type, created: s.emulator.now(), data: { object: c.object } });
        expect(res.status).toBe(200);
      }
      await s.settle();
      for (const c of cases) {
        const stored = (await s.admin(s.http().get(`/admin/webhook-events/${c.id}`)).expect(200)).body;
        expect({ id: c.id, state: stored.state, flag: stored.flag, attempts: stored.attempts }).toEqual({ id: c.id, state: 'dead', flag: 'unappliable', attempts: 0 });
        expect(stored.last_error).toMatch(c.reason);
        expect((await s.admin(s.http().post(`/admin/webhook-events/${c.id}/replay`)).expect(200)).body).toEqual({ requeued: 1 });
      }
    });

    it('an ordinary event is stored as signed, with no note', async () => {
      const res = await signed({ id: 'evt_plain_strings', object: 'event', type: 'customer.updated', created: 1_700_000_000, data: { object: { id: 'cus_plain', object: 'customer', name: 'Ω 日本' } } });
      expect(res.status).toBe(200);
      const stored = (await s.admin(s.http().get('/admin/webhook-events/evt_plain_strings')).expect(200)).body;
      expect(stored.payload_note).toBeNull();
      expect(stored.payload.data.object.name).toBe('Ω 日本');
    });

    it.each([
      ['created beyond bigint', { created: 1e300 }],
      ['a negative created', { created: -5 }],
      ['a fractional created', { created: 1.5 }],
      ['livemode that is not a boolean', { livemode: 'yes' }],
      ['an api_version longer than any Stripe has', { api_version: 'x'.repeat(65) }],
    ])('answers 400 invalid_event for a shape no Stripe event has: %s', async (_name, override) => {
      const before = await countWebhookEvents(s.app);
      const res = await signed({ id: 'evt_bad_shape', object: 'event', type: 'customer.updated', created: 1_700_000_000, data: { object: { id: 'cus_1' } }, ...override });
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('invalid_event');
      expect(await countWebhookEvents(s.app)).toBe(before);
    });
  });
});
