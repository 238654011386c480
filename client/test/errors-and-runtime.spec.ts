import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { BillingApiError, createBillingClient, parseRetryAfter } from '@billing/client';
import { createTier, type Tier } from '../../test/support/catalog.js';
import { runBuilt } from '../../test/support/spawn.js';
import { startStack, type Stack } from '../../test/support/stack.js';
import { startStripeProxy, type StripeProxy } from '../../test/support/stripe-proxy.js';
import { ownerToken, setCatalog, urls } from '../../test/subscriptions/helpers.js';
import { failure } from './support.js';


/**
 * "Try again later" as the client reports it (`retryAfter` from the service's Retry-After, on Stripe
 * faults injected into the emulator), failures that are not the API's (no answer, a proxy's page, an
 * abort), and the built package as Node and browsers load it.
 */
describe('@billing/client: Retry-After, failures without an API answer, the built package', () => {
  let proxy: StripeProxy;
  let s: Stack;
  let tier: Tier;

  beforeAll(async () => {
    // The service reaches the emulator through a proxy that adds `Retry-After: 7` to the emulator's
    // 429s, as real Stripe may (the emulator's faults send none).
    proxy = await startStripeProxy({ 429: { 'retry-after': '7' } });
    s = await startStack({ STRIPE_API_BASE: proxy.url, STRIPE_MAX_NETWORK_RETRIES: '0' }, { port: proxy.targetPort });
    tier = await createTier(s.stripe, 'biz', ['biz_feature']);
    await setCatalog(s, 'default', [tier.monthly.id]);
  });
  afterEach(() => s.emulator.clearFaults());
  afterAll(async () => {
    await s?.close();
    await proxy?.close();
  });

  it("Stripe rate-limiting the service: 503 stripe_rate_limited with Stripe's Retry-After in retryAfter; the same call goes through later", async () => {
    const api = createBillingClient({ baseUrl: s.baseUrl, token: await ownerToken('BUSYCO') });
    s.emulator.setFaults({ api: [{ path: '/v1/customers', method: 'POST', status: 429, count: 1 }] });
    const error = await failure(api.subscriptions.createCheckoutSession({ price_id: tier.monthly.id, ...urls }, { idempotencyKey: 'busy-1' }));
    expect(error).toMatchObject({ status: 503, code: 'stripe_rate_limited', retryAfter: 7, requestId: expect.any(String) });
    // What a caller does with it: wait retryAfter seconds (not here), then the same call with the same key.
    const checkout = await api.subscriptions.createCheckoutSession({ price_id: tier.monthly.id, ...urls }, { idempotencyKey: 'busy-1' });
    expect(checkout.id).toMatch(/^cs_/);
  });

  it("Stripe failing (an injected 500): 502 stripe_unavailable with the service's default Retry-After", async () => {
    const api = createBillingClient({ baseUrl: s.baseUrl, token: await ownerToken('FAILCO') });
    s.emulator.setFaults({ api: [{ path: '/v1/customers', method: 'POST', status: 500, count: 1 }] });
    expect(await failure(api.subscriptions.createCheckoutSession({ price_id: tier.monthly.id, ...urls }))).toMatchObject({ status: 502, code: 'stripe_unavailable', retryAfter: 5 });
  });

  it('no answer at all: network_error with status 0 and the cause', async () => {
    const port = await closedPort();
    const api = createBillingClient({ baseUrl: `http://127.0.0.1:${port}`, token: 'x' });
    const error = await failure(api.subscriptions.list());
    expect(error).toMatchObject({ status: 0, code: 'network_error', requestId: undefined, retryAfter: undefined });
    // fetch's own TypeError ("fetch failed"; from Node's realm, hence no instanceof here).
    expect(error.cause).toMatchObject({ name: 'TypeError' });
    expect(error.message).toContain((error.cause as Error).message);
  });

  it("an answer that is not the API's error body (a proxy's page): http_<status>, with its Retry-After (seconds or an HTTP date)", async () => {
    const inThirtySeconds = new Date(Date.now() + 30_000).toUTCString();
    const api = createBillingClient({
      baseUrl: 'https://billing.example.com',
      fetch: async () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/html', 'retry-after': inThirtySeconds } }),
    });
    const error = await failure(api.subscriptions.features());
    expect(error).toMatchObject({ status: 502, code: 'http_502', message: 'HTTP 502 Bad Gateway', body: '<html>Bad gateway</html>' });
    expect(error.retryAfter).toBeGreaterThanOrEqual(28);
    expect(error.retryAfter).toBeLessThanOrEqual(30);

    const empty = createBillingClient({ baseUrl: 'https://billing.example.com', fetch: async () => new Response(null, { status: 404, headers: { 'content-length': '0', 'x-request-id': 'req_proxy' } }) });
    expect(await failure(empty.subscriptions.list())).toMatchObject({ status: 404, code: 'http_404', requestId: 'req_proxy' });

    // A 2xx that is not the list the document promises is not passed off as one.
    const odd = createBillingClient({ baseUrl: 'https://billing.example.com', fetch: async () => Response.json({ unexpected: true }) });
    expect(await failure(odd.subscriptions.list())).toMatchObject({ status: 200, code: 'unexpected_response' });
  });

  it("an aborted call rejects with the abort, not a BillingApiError", async () => {
    const api = createBillingClient({ baseUrl: s.baseUrl, token: await ownerToken('ABORTCO') });
    const controller = new AbortController();
    controller.abort();
    const rejection = await api.subscriptions.list({ signal: controller.signal }).catch((e: unknown) => e);
    expect(rejection).not.toBeInstanceOf(BillingApiError);
    expect(rejection).toMatchObject({ name: 'AbortError' });
  });

  it('parseRetryAfter reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('the built package (dist/, as Node resolves it without the source condition) calls the service', async () => {
    const token = await ownerToken('BUILTCO');
    const script = `
      import { createBillingClient, BillingApiError } from '@billing/client';
      const api = createBillingClient({ baseUrl: ${JSON.stringify(s.baseUrl)}, token: async () => ${JSON.stringify(token)} });
      const list = await api.subscriptions.list();
      const error = await api.subscriptions.createCheckoutSession({ price_id: 'price_unknown', success_url: ${JSON.stringify(urls.success_url)}, cancel_url: ${JSON.stringify(urls.cancel_url)} }).catch((e) => e);
      console.log(JSON.stringify({ list, error: { isBillingApiError: error instanceof BillingApiError, status: error.status, code: error.code }, resolved: import.meta.resolve('@billing/client') }));
    `;
    const result = await runBuilt('--input-type=module', ['-e', script], {});
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ list: [], error: { isBillingApiError: true, status: 400, code: 'price_not_in_catalog' }, resolved: expect.stringMatching(/\/client\/dist\/index\.js$/) });
  });

  it('the built package imports nothing of Node (browsers load it as is) and ships its declarations', async () => {
    const dist = new URL('../dist/', import.meta.url);
    const files = await readdir(dist);
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'client.js', 'client.d.ts', 'errors.js', 'schema.d.ts']));
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      const code = await readFile(new URL(file, dist), 'utf8');
      const imports = [...code.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2]);
      expect({ file, imports: imports.filter((i) => !i!.startsWith('./') && i !== 'openapi-fetch') }).toEqual({ file, imports: [] });
      expect({ file, nodeGlobals: code.match(/\b(process|Buffer|require|__dirname)\b/g) ?? [] }).toEqual({ file, nodeGlobals: [] });
    }
    // The runtime dependency is browser code too.
    const fetchClient = await readFile(new URL('../../node_modules/openapi-fetch/dist/index.mjs', import.meta.url), 'utf8');
    expect(fetchClient).not.toMatch(/from\s+['"]node:/);
  });
});

/** A port nothing listens on (taken, then given back). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
