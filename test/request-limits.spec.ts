import type supertest from 'supertest';
import { usingPostgres } from './support/test-database.js';
import { accountToken, startTestApp, type TestApp } from './support/test-app.js';
import { postWebhook, query, stripeEvent, stripeSignature } from './support/webhooks.js';
import { BATCHED_LIMIT_FROM, LimitStore } from '../src/infra/throttling/limit-store.js';

/**
 * The request limits (README, Request limits) over real HTTP: each limit answers 429 rate_limited
 * with Retry-After and the X-RateLimit-* headers at its configured rate, counted in the database
 * that every instance shares (or per instance in memory), and wrong admin tokens and API keys lock
 * their address out.
 */
const WINDOW = 60;
const SECRET = `whsec_${'limits'.repeat(6)}`;

type Res = supertest.Response;
const codeOf = (res: Res) => (res.body as { error?: { code: string } }).error?.code;
const statuses = (list: Res[]) => list.map((r) => r.status);

/** A 429 as every limit answers it: the code, Retry-After within the window, nothing remaining. */
function expectLimited(res: Res, code = 'rate_limited') {
  expect({ status: res.status, code: codeOf(res) }).toEqual({ status: 429, code });
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW);
}

async function issueKey(s: TestApp): Promise<string> {
  const res = await s.admin(s.http().post('/admin/applications/default/api-keys')).send({ name: 'limits' }).expect(201);
  return (res.body as { key: string }).key;
}

const features = (s: TestApp, token: string) => s.http().get('/api/subscriptions/features').set('authorization', `Bearer ${token}`);
const lookup = (s: TestApp, key: string) => s.http().get('/api/applications/default/app-payment-customers?company_id=C1').set('authorization', `Bearer ${key}`);
const adminList = (s: TestApp, token: string) => s.http().get('/admin/applications').set('authorization', `Bearer ${token}`);

describe('request limits, each at its configured rate', () => {
  let s: TestApp;
  let key: string;
  beforeAll(async () => {
    s = await startTestApp({ THROTTLE_ACCOUNT_LIMIT: '3', THROTTLE_PARTNER_LIMIT: '3', THROTTLE_IP_LIMIT: '3', THROTTLE_WEBHOOK_LIMIT: '2', AUTH_FAILURE_LIMIT: '3', WEBHOOK_WORKER_ENABLED: 'false' });
    key = await issueKey(s);
    await s.admin(s.http().post('/admin/applications')).send({ id: 'hooks', name: 'Hooks', merchant_id: 'platform', webhook_secret: SECRET }).expect(201);
  });
  afterAll(() => s.close());

  it('an account token: 3 calls, then 429 with Retry-After; the limit headers count down; another account is not affected', async () => {
    const token = await accountToken({ acc: 'acct_limited' });
    const answers: Res[] = [];
    for (let i = 0; i < 4; i++) answers.push(await features(s, token));
    expect(statuses(answers)).toEqual([200, 200, 200, 429]);
    expect(answers.map((r) => r.headers['x-ratelimit-remaining'])).toEqual(['2', '1', '0', '0']);
    expect(answers[0]!.headers['x-ratelimit-limit']).toBe('3');
    expect(Number(answers[0]!.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(WINDOW);
    expectLimited(answers[3]!);
    // Another token of the same account counts for the same account.
    expectLimited(await features(s, await accountToken({ acc: 'acct_limited', role: 'owner' })));
    expect((await features(s, await accountToken({ acc: 'acct_other' }))).status).toBe(200);
  });

  it('a partner API key: 3 lookups, then 429 with Retry-After', async () => {
    const answers: Res[] = [];
    for (let i = 0; i < 4; i++) answers.push(await lookup(s, key));
    expect(statuses(answers)).toEqual([200, 200, 200, 429]);
    expectLimited(answers[3]!);
  });

  it('a route without credentials (the billing page): 3 per client IP, then 429; the health probes are never limited', async () => {
    const answers: Res[] = [];
    for (let i = 0; i < 4; i++) answers.push(await s.http().get('/billing'));
    expect(statuses(answers)).toEqual([200, 200, 200, 429]);
    expectLimited(answers[3]!);
    for (let i = 0; i < 8; i++) {
      const health = await s.http().get('/health/live');
      expect({ status: health.status, limited: health.headers['x-ratelimit-limit'] }).toEqual({ status: 200, limited: undefined });
    }
  });

  it('requests sent at the same time at the limit: exactly the limit gets through', async () => {
    const token = await accountToken({ acc: 'acct_concurrent' });
    const answers = await Promise.all(Array.from({ length: 15 }, () => features(s, token)));
    expect(statuses(answers).filter((st) => st === 200)).toHaveLength(3);
    expect(statuses(answers).filter((st) => st === 429)).toHaveLength(12);
  });

  it('the webhook intake: 2 deliveries per application, then 429; another application has its own count', async () => {
    const send = (app: string) => {
      const { body } = stripeEvent('customer.created', { id: 'cus_small', object: 'customer' });
      return postWebhook(s.http, app, body, stripeSignature(SECRET, body));
    };
    expect(statuses([await send('hooks'), await send('hooks')])).toEqual([200, 200]);
    expectLimited(await send('hooks'));
    // The default application is not limited by it (it refuses the signature: the secret is not its own).
    expect(codeOf(await send('default'))).toBe('invalid_signature');
  });

  it('the answer is in Japanese when asked, with the same code', async () => {
    const res = await lookup(s, key).set('accept-language', 'ja');
    expectLimited(res);
    expect((res.body as { error: { message: string } }).error.message).toMatch(/リクエストが多すぎます/);
  });

  // Last: it locks this test's address out of the admin routes.
  it('3 wrong admin tokens or API keys lock the address out: 429 even with the correct token, on admin and partner routes', async () => {
    const wrong = [await adminList(s, 'not-the-admin-token-000000000'), await lookup(s, 'psk_wrong_key_1'), await adminList(s, 'not-the-admin-token-111111111')];
    expect(wrong.map((r) => [r.status, codeOf(r)])).toEqual([
      [401, 'invalid_admin_token'],
      [401, 'invalid_api_key'],
      [401, 'invalid_admin_token'],
    ]);
    const correct = await adminList(s, s.config.ADMIN_TOKEN);
    expectLimited(correct, 'too_many_failed_attempts');
    expectLimited(await s.http().post('/admin/applications/default/api-keys').set('authorization', `Bearer ${s.config.ADMIN_TOKEN}`).send({ name: 'x' }), 'too_many_failed_attempts');
    expectLimited(await s.http().get('/api/applications/default/app-payment-customers?company_id=C1').set('x-api-key', 'psk_another_guess'), 'too_many_failed_attempts');
    // Account routes do not take admin tokens or API keys: they go on.
    expect((await features(s, await accountToken({ acc: 'acct_after_lockout' }))).status).toBe(200);
  });
});

describe('the webhook intake', () => {
  let s: TestApp;
  const secret = SECRET;
  beforeAll(async () => {
    s = await startTestApp({ WEBHOOK_WORKER_ENABLED: 'false' });
    await s.admin(s.http().post('/admin/applications')).send({ id: 'hooks', name: 'Hooks', merchant_id: 'platform', webhook_secret: secret }).expect(201);
  });
  afterAll(() => s.close());

  it('takes a burst of 300 signed events, 30 at a time, with the default limits: none is refused', async () => {
    const answers: Res[] = [];
    for (let batch = 0; batch < 10; batch++) {
      answers.push(
        ...(await Promise.all(
          Array.from({ length: 30 }, () => {
            const { body } = stripeEvent('customer.created', { id: 'cus_burst', object: 'customer' });
            return postWebhook(s.http, 'hooks', body, stripeSignature(secret, body));
          }),
        )),
      );
    }
    expect(statuses(answers).filter((st) => st !== 200)).toEqual([]);
    expect(Number(answers.at(-1)!.headers['x-ratelimit-remaining'])).toBe(Number(answers.at(-1)!.headers['x-ratelimit-limit']) - 300);
  });
});

describe('where the counts live', () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });

  it(usingPostgres() ? 'two instances on one database share the limit (THROTTLE_STORE=postgres)' : 'the postgres store counts in the database (one instance: PGlite is one process)', async () => {
    const env = { THROTTLE_STORE: 'postgres', THROTTLE_ACCOUNT_LIMIT: '4', WEBHOOK_WORKER_ENABLED: 'false' };
    apps.push(await startTestApp(env));
    if (usingPostgres()) apps.push(await startTestApp(env, {}, { databaseUrl: apps[0]!.config.DATABASE_URL }));
    const token = await accountToken({ acc: 'acct_shared' });
    const answers: Res[] = [];
    for (let i = 0; i < 6; i++) answers.push(await features(apps[i % apps.length]!, token));
    expect(statuses(answers)).toEqual([200, 200, 200, 200, 429, 429]);
    expectLimited(answers[5]!);
    // Sent at the same time to both instances, a new account gets exactly the limit.
    const other = await accountToken({ acc: 'acct_shared_concurrent' });
    const together = await Promise.all(Array.from({ length: 12 }, (_, i) => features(apps[i % apps.length]!, other)));
    expect(statuses(together).filter((st) => st === 200)).toHaveLength(4);
  });

  it(`many accounts at once${usingPostgres() ? ', on two instances' : ''}: each gets exactly its limit, and each answer its own count (hits arriving together share a statement)`, async () => {
    const env = { THROTTLE_STORE: 'postgres', THROTTLE_ACCOUNT_LIMIT: '5', WEBHOOK_WORKER_ENABLED: 'false' };
    apps.push(await startTestApp(env));
    if (usingPostgres()) apps.push(await startTestApp(env, {}, { databaseUrl: apps[0]!.config.DATABASE_URL }));
    const accounts = Array.from({ length: 12 }, (_, i) => `acct_many_${i}`);
    const tokens = await Promise.all(accounts.map((acc) => accountToken({ acc })));
    // 8 requests of each account, all sent at once, the accounts interleaved and spread over the instances.
    const sent = Array.from({ length: 8 * accounts.length }, (_, i) => ({ account: i % accounts.length, res: features(apps[i % apps.length]!, tokens[i % accounts.length]!) }));
    const answers = await Promise.all(sent.map(async ({ account, res }) => ({ account, res: await res })));
    for (let a = 0; a < accounts.length; a++) {
      const own = answers.filter((x) => x.account === a).map((x) => x.res);
      const passed = own.filter((r) => r.status === 200);
      expect({ account: accounts[a], passed: passed.length, refused: own.filter((r) => r.status === 429).length }).toEqual({ account: accounts[a], passed: 5, refused: 3 });
      // Each request that got through was told its own place in the count: 4 left, 3, 2, 1, 0.
      expect({ account: accounts[a], remaining: passed.map((r) => Number(r.headers['x-ratelimit-remaining'])).sort() }).toEqual({ account: accounts[a], remaining: [0, 1, 2, 3, 4] });
    }
    const rows = await query<{ key: string; hits: number }>(apps[0]!.app, `select key, hits from request_limits where key like 'account:%acct_many_%' order by key`);
    expect(rows.map((r) => Number(r.hits))).toEqual(accounts.map(() => 8));
  });

  it('hits of several keys sent together share statements, and each is counted once, with a count of its own', async () => {
    apps.push(await startTestApp({ THROTTLE_STORE: 'postgres', WEBHOOK_WORKER_ENABLED: 'false' }));
    const store = apps[0]!.app.get(LimitStore);
    // 3 keys, 20 hits each, interleaved, all in one tick: the first leave at once, the rest wait and go together.
    const keys = ['together:a', 'together:b', 'together:c'];
    const hits = Array.from({ length: 60 }, (_, i) => ({ key: keys[i % 3]!, count: store.increment(keys[i % 3]!, 60_000, 10) }));
    const counted = await Promise.all(hits.map(async ({ key, count }) => ({ key, hits: (await count).totalHits, blocked: (await count).isBlocked })));
    for (const key of keys) {
      const own = counted.filter((c) => c.key === key);
      // Hits on their way at the same time have no order between them; each has its own place in the count.
      expect({ key, hits: own.map((c) => c.hits).sort((x, y) => x - y) }).toEqual({ key, hits: Array.from({ length: 20 }, (_, i) => i + 1) });
      expect({ key, blocked: own.filter((c) => c.blocked).length }).toEqual({ key, blocked: 10 });
    }
    const rows = await query<{ key: string; hits: number }>(apps[0]!.app, `select key, hits from request_limits where key like 'together:%' order by key`);
    expect(rows.map((r) => [r.key, Number(r.hits)])).toEqual(keys.map((k) => [k, 20]));
  });

  it(`a generous limit (${BATCHED_LIMIT_FROM} and more a window) is counted in batches yet shared: ${usingPostgres() ? "two instances" : "one instance"} stop the key at its limit (a few per cent past it at most)`, async () => {
    const env = { THROTTLE_STORE: 'postgres', THROTTLE_ACCOUNT_LIMIT: String(BATCHED_LIMIT_FROM), WEBHOOK_WORKER_ENABLED: 'false' };
    apps.push(await startTestApp(env));
    if (usingPostgres()) apps.push(await startTestApp(env, {}, { databaseUrl: apps[0]!.config.DATABASE_URL }));
    const token = await accountToken({ acc: 'acct_batched' });
    const answers: Res[] = [];
    // Twenty at a time, spread over the instances, past the limit.
    for (let sent = 0; sent < BATCHED_LIMIT_FROM + 40; sent += 20) {
      answers.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => features(apps[(sent + i) % apps.length]!, token)))));
    }
    // Never fewer than the limit; more only by what one instance counted in its last quarter second
    // before the key neared its limit (here at most a few per cent); the last ones are all refused.
    const ok = statuses(answers).filter((st) => st === 200).length;
    expect(ok).toBeGreaterThanOrEqual(BATCHED_LIMIT_FROM);
    expect(ok).toBeLessThanOrEqual(BATCHED_LIMIT_FROM * 1.03);
    expect(statuses(answers.slice(-20))).toEqual(Array.from({ length: 20 }, () => 429));
    // The shared row holds every hit counted by both instances (the key is hashed: it is the only one this big).
    const [row] = await query<{ hits: number }>(apps[0]!.app, 'select max(hits) as hits from request_limits');
    expect(Number(row!.hits)).toBeGreaterThanOrEqual(BATCHED_LIMIT_FROM);
  });

  it('THROTTLE_STORE=memory counts per instance: two instances allow the limit each; TRUST_PROXY decides which address the per-IP limit counts', async () => {
    const env = { THROTTLE_STORE: 'memory', THROTTLE_ACCOUNT_LIMIT: '2', THROTTLE_IP_LIMIT: '1', WEBHOOK_WORKER_ENABLED: 'false' };
    apps.push(await startTestApp({ ...env, TRUST_PROXY: 'true' }));
    apps.push(await startTestApp(env, {}, usingPostgres() ? { databaseUrl: apps[0]!.config.DATABASE_URL } : {}));
    const [trusting, plain] = apps as [TestApp, TestApp];
    const token = await accountToken({ acc: 'acct_memory' });
    const first: Res[] = [];
    for (let i = 0; i < 3; i++) first.push(await features(trusting, token));
    const second: Res[] = [];
    for (let i = 0; i < 3; i++) second.push(await features(plain, token));
    expect([statuses(first), statuses(second)]).toEqual([
      [200, 200, 429],
      [200, 200, 429],
    ]);
    expectLimited(first[2]!);

    // Behind a trusted proxy each X-Forwarded-For client has its own count; without TRUST_PROXY the proxy is the client.
    const page = (app: TestApp, client: string) => app.http().get('/billing').set('x-forwarded-for', client);
    expect(statuses([await page(trusting, '203.0.113.5'), await page(trusting, '203.0.113.6')])).toEqual([200, 200]);
    expectLimited(await page(trusting, '203.0.113.5'));
    expect((await page(plain, '203.0.113.5')).status).toBe(200);
    expectLimited(await page(plain, '203.0.113.6'));
  });
});
