import { jest } from '@jest/globals';
import { AccountGuard } from '../src/auth/account.guard.js';
import { PartnerKeyGuard } from '../src/auth/partner-key.guard.js';
import { RequestLimitsGuard } from '../src/auth/request-limits.guard.js';
import { refuseConnections } from './support/database-outage.js';
import { accountToken, startTestApp, type TestApp } from './support/test-app.js';
import { usingPostgres } from './support/test-database.js';
import { countWebhookEvents, stripeEvent, stripeSignature, webhookPath } from './support/webhooks.js';
import { ApplicationsService } from '../src/tenancy/applications.service.js';

const APP_ORIGIN = 'https://app.example.com';
const LIMIT = 12;

interface Call {
  path: string;
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  /** Sent as it is (POST); a header's `{signature}` is its Stripe signature by the instance's webhook secret, `{stale-signature}` one an hour old. */
  body?: string;
}

/** What a caller sees of an answer; the headers that differ by nature (date, rate-limit window's remaining seconds) only as present or not. */
interface Seen {
  status: number;
  headers: Record<string, string | boolean>;
  body: string;
}

/**
 * The partner lookup and `features` are served outside Nest's per-request pipeline (issue 17,
 * src/auth/fast-route.ts). A caller must not be able to tell: the same table of requests, each
 * success and failure the routes have (keys, tokens, accounts, applications, origins, bad input,
 * Japanese messages, HEAD, the rate limit, the database down), answers the very same status,
 * headers and body from an instance with the fast routes as from one serving them through Nest
 * like every other route; and Nest's guards are not called on the fast instance.
 */
describe('the fast routes answer exactly as through Nest', () => {
  const env = {
    THROTTLE_STORE: 'memory',
    THROTTLE_PARTNER_LIMIT: String(LIMIT),
    THROTTLE_ACCOUNT_LIMIT: String(LIMIT),
    THROTTLE_WEBHOOK_LIMIT: String(LIMIT),
    WEBHOOK_WORKER_ENABLED: 'false',
  };
  let fast: TestApp;
  let nest: TestApp;
  const keys = new Map<TestApp, string>();
  const webhookSecrets = new Map<TestApp, string>();

  beforeAll(async () => {
    fast = await startTestApp(env);
    nest = await startTestApp(env, { withoutFastRoutes: true });
    for (const t of [fast, nest]) {
      await t.admin(t.http().patch('/admin/applications/default')).send({ allowed_origins: [APP_ORIGIN] }).expect(200);
      await t.admin(t.http().post('/admin/applications')).send({ id: 'other', name: 'Other', merchant_id: 'platform' }).expect(201);
      const issued = await t.admin(t.http().post('/admin/applications/default/api-keys')).send({ name: 'partner' });
      keys.set(t, issued.body.key as string);
      webhookSecrets.set(t, (await t.app.get(ApplicationsService).currentWebhookSecrets('default'))[0]!);
    }
  });

  afterAll(async () => {
    await fast?.close();
    await nest?.close();
  });

  async function send(t: TestApp, call: Call, n: number): Promise<Seen> {
    const key = keys.get(t)!;
    const req = call.method === 'HEAD' ? t.http().head(call.path) : call.method === 'POST' ? t.http().post(call.path) : t.http().get(call.path);
    void req.set('x-request-id', `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`);
    const sign = (ago: number) => stripeSignature(webhookSecrets.get(t)!, call.body ?? '', Math.floor(Date.now() / 1000) - ago);
    for (const [name, value] of Object.entries(call.headers ?? {})) {
      void req.set(name, value.replace('{key}', key).replace('{signature}', () => sign(0)).replace('{stale-signature}', () => sign(3600)));
    }
    if (call.body !== undefined) void req.send(call.body);
    const res = await req.buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (chunk: Buffer) => (text += chunk.toString()));
      r.on('end', () => done(null, text));
    });
    const headers: Record<string, string | boolean> = {};
    for (const [name, value] of Object.entries(res.headers as Record<string, string>)) headers[name] = ['date', 'x-ratelimit-reset', 'retry-after'].includes(name) ? true : value;
    return { status: res.status, headers, body: res.body as string };
  }

  /** Every call to both instances, in the same order (each counts its own rate limits in memory). */
  async function both(calls: Call[]): Promise<{ fast: Seen[]; nest: Seen[]; guardCalls: { fast: number; nest: number } }> {
    const canActivate = [jest.spyOn(PartnerKeyGuard.prototype, 'canActivate'), jest.spyOn(AccountGuard.prototype, 'canActivate'), jest.spyOn(RequestLimitsGuard.prototype, 'canActivate')];
    const count = () => canActivate.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
    try {
      const seen = { fast: [] as Seen[], nest: [] as Seen[] };
      const before = count();
      for (const [n, call] of calls.entries()) seen.fast.push(await send(fast, call, n));
      const afterFast = count();
      for (const [n, call] of calls.entries()) seen.nest.push(await send(nest, call, n));
      return { ...seen, guardCalls: { fast: afterFast - before, nest: count() - afterFast } };
    } finally {
      for (const spy of canActivate) spy.mockRestore();
    }
  }

  const lookup = (query: string, headers: Record<string, string> = { authorization: 'Bearer {key}' }, application = 'default'): Call => ({
    path: `/api/applications/${application}/app-payment-customers${query}`,
    headers,
  });

  it('the same answers for every success and failure of the partner lookup', async () => {
    const calls: Call[] = [
      lookup('?company_id=1001'),
      lookup('?company_id=1001,1002&company_id=1003'),
      lookup('?company_id=1001', { 'x-api-key': '{key}' }),
      { ...lookup('?company_id=1001'), method: 'HEAD' },
      lookup('/?company_id=1001'),
      lookup('?company_id=1001', { authorization: 'Bearer {key}', 'accept-language': 'ja' }),
      lookup('?company_id=1001', { authorization: 'Bearer {key}', origin: APP_ORIGIN }),
      lookup('?company_id=1001', {}),
      lookup('?company_id=1001', { authorization: 'Bearer psk_not_a_real_key_0000000000000000' }),
      lookup('?company_id=1001', { authorization: 'Bearer {key}' }, 'other'),
      lookup('?company_id=1001', { authorization: 'Bearer {key}' }, 'nope'),
      lookup(''),
      lookup('?company_id='),
      lookup('?company_id=1001&extra=1'),
      lookup('?company_id=%E2%80%AE%00'),
      lookup(`?company_id=${'9'.repeat(300)}`),
      lookup(`?company_id=${Array.from({ length: 1001 }, (_, i) => i + 1).join(',')}`),
      lookup('?x=1', { authorization: 'Bearer {key}', 'accept-language': 'ja' }),
      // Past the partner limit: 429 with Retry-After and the limit headers.
      ...Array.from({ length: LIMIT }, () => lookup('?company_id=1001')),
    ];
    const seen = await both(calls);
    expect(seen.fast).toEqual(seen.nest);
    const statuses = seen.fast.map((s) => s.status);
    expect(new Set(statuses)).toEqual(new Set([200, 400, 401, 403, 429]));
    expect(seen.fast.at(-1)!.body).toContain('rate_limited');
    expect(seen.guardCalls.fast).toBe(0);
    expect(seen.guardCalls.nest).toBeGreaterThanOrEqual(calls.length);
  });

  it('the same answers for every success and failure of `features`, account-less and account-scoped', async () => {
    const token = await accountToken({ acc: 'ACME', role: 'member' });
    const otherApp = await accountToken({ acc: 'ACME', app: 'other' });
    const bearer = (t: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${t}`, ...extra });
    const calls: Call[] = [
      { path: '/api/subscriptions/features', headers: bearer(token) },
      { path: '/api/accounts/ACME/subscriptions/features', headers: bearer(token) },
      { path: '/api/subscriptions/features', method: 'HEAD', headers: bearer(token) },
      { path: '/api/subscriptions/features?unexpected=1', headers: bearer(token) },
      { path: '/api/subscriptions/features', headers: bearer(token, { origin: APP_ORIGIN }) },
      { path: '/api/subscriptions/features', headers: bearer(token, { origin: 'https://evil.example.net' }) },
      { path: '/api/subscriptions/features', headers: bearer(token, { 'x-application-id': 'other' }) },
      { path: '/api/subscriptions/features', headers: bearer(token, { 'x-application-id': 'nope' }) },
      { path: '/api/subscriptions/features', headers: bearer(otherApp, { 'x-application-id': 'default' }) },
      { path: '/api/subscriptions/features', headers: bearer(otherApp) },
      { path: '/api/accounts/SOMEONE_ELSE/subscriptions/features', headers: bearer(token) },
      { path: '/api/subscriptions/features', headers: {} },
      { path: '/api/subscriptions/features', headers: { authorization: 'Bearer not.a.jwt' } },
      { path: '/api/subscriptions/features', headers: { authorization: 'Bearer not.a.jwt', 'accept-language': 'ja' } },
      // Past the account limit: 429 with Retry-After and the limit headers.
      ...Array.from({ length: LIMIT }, () => ({ path: '/api/subscriptions/features', headers: bearer(token) })),
    ];
    const seen = await both(calls);
    expect(seen.fast).toEqual(seen.nest);
    expect(new Set(seen.fast.map((s) => s.status))).toEqual(new Set([200, 401, 403, 404, 429]));
    expect(seen.guardCalls.fast).toBe(0);
    expect(seen.guardCalls.nest).toBeGreaterThanOrEqual(calls.length);
  });

  it('the same answers for every success and failure of the webhook intake, and the same events stored', async () => {
    const event = (type = 'payment_intent.created') => stripeEvent(type, { id: 'pi_1', object: 'payment_intent' }).body;
    const json = { 'content-type': 'application/json; charset=utf-8' };
    const webhook = (body: string, headers: Record<string, string> = { ...json, 'stripe-signature': '{signature}' }, application = 'default'): Call => ({
      path: webhookPath(application),
      method: 'POST',
      headers,
      body,
    });
    const once = event();
    const calls: Call[] = [
      webhook(once),
      // The same event again: stored once, answered as a duplicate.
      webhook(once),
      webhook(event('customer.subscription.updated'), { ...json, 'stripe-signature': '{signature}', 'accept-language': 'ja' }),
      webhook(event(), { ...json, 'stripe-signature': 't=1,v1=00' }),
      webhook(event(), { ...json, 'stripe-signature': 'v0=abc,foo' }),
      webhook(event(), { ...json, 'stripe-signature': '{stale-signature}' }),
      webhook(event(), json),
      webhook(event(), { ...json, 'stripe-signature': '{signature}', 'accept-language': 'ja' }, 'other'),
      webhook(event(), { ...json, 'stripe-signature': '{signature}' }, 'nope'),
      webhook('not json', { ...json, 'stripe-signature': '{signature}' }),
      webhook('{"object":"event","id":"nope"}', { ...json, 'stripe-signature': '{signature}' }),
      webhook('', { ...json, 'stripe-signature': '{signature}' }),
      webhook(event(), { 'content-type': 'text/plain', 'stripe-signature': '{signature}' }),
      webhook(event(), { 'content-type': 'application/json; charset=latin1', 'stripe-signature': '{signature}' }),
      webhook(JSON.stringify({ pad: 'x'.repeat(fast.config.BODY_LIMIT) }), { ...json, 'stripe-signature': '{signature}' }),
      webhook(event(), { ...json, 'stripe-signature': '{signature}' }, '%00'),
      // Past the per-application webhook limit: 429 with Retry-After and the limit headers.
      ...Array.from({ length: LIMIT }, () => webhook(event())),
    ];
    const seen = await both(calls);
    expect(seen.fast).toEqual(seen.nest);
    expect(new Set(seen.fast.map((s) => s.status))).toEqual(new Set([200, 400, 404, 413, 415, 429]));
    expect(JSON.parse(seen.fast[0]!.body)).toEqual({ received: true, duplicate: false });
    expect(JSON.parse(seen.fast[1]!.body)).toEqual({ received: true, duplicate: true });
    expect(seen.fast.at(-1)!.body).toContain('rate_limited');
    expect(seen.guardCalls.fast).toBe(0);
    expect(seen.guardCalls.nest).toBeGreaterThanOrEqual(calls.length - 6);
    expect(await countWebhookEvents(fast.app)).toBe(await countWebhookEvents(nest.app));
  });

  if (usingPostgres()) {
    it('the same 503 database_unavailable when the database is down', async () => {
      const down = await Promise.all([refuseConnections(fast.config.DATABASE_URL), refuseConnections(nest.config.DATABASE_URL)]);
      try {
        const token = await accountToken({ acc: 'DOWN' });
        // New callers (another key, another account): nothing cached, so the database is asked.
        const seen = await both([
          lookup('?company_id=1001', { authorization: 'Bearer psk_unknown_0000000000000000000000' }),
          { path: '/api/subscriptions/features', headers: { authorization: `Bearer ${token}`, 'x-application-id': 'other' } },
          // Another application (the default's webhook limit was used up above): its secrets are read from the database.
          { path: webhookPath('other'), method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': '{signature}' }, body: stripeEvent('payment_intent.created', { id: 'pi_1', object: 'payment_intent' }).body },
        ]);
        expect(seen.fast).toEqual(seen.nest);
        expect(seen.fast.map((s) => s.status)).toEqual([503, 503, 503]);
        expect(seen.fast[0]!.body).toContain('database_unavailable');
      } finally {
        await Promise.all(down.map((d) => d.allow()));
      }
    });
  }
});
