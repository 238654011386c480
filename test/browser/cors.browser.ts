import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { createTier } from '../support/catalog.js';
import { REPO_ROOT } from '../support/spawn.js';
import { startStack, type Stack } from '../support/stack.js';
import { ownerToken, setCatalog, urls } from '../subscriptions/helpers.js';
import { launchChromium, openTab } from './support.js';

/**
 * A browser app on another origin calls the account API with the typed client (seed 001's
 * `api.subscriptions.list()`): from an origin the application allows, it gets the data; from any
 * other origin the browser blocks the call (no CORS headers), and the client reports a network error.
 */
describe('CORS in a real browser: the typed client from an allowed origin and from another', () => {
  let s: Stack;
  let browser: Browser;
  let allowed: StaticSite;
  let other: StaticSite;
  let token: string;
  let subscriptionId: string;

  beforeAll(async () => {
    [allowed, other] = await Promise.all([startSite(), startSite()]);
    s = await startStack();
    const tier = await createTier(s.stripe, 'cors_browser', ['cors_feature']);
    await setCatalog(s, 'default', [tier.monthly.id]);
    await s.admin(s.http().patch('/admin/applications/default')).send({ allowed_origins: [allowed.origin, new URL(urls.success_url).origin] }).expect(200);
    token = await ownerToken('CORS-BROWSER');
    // The account buys, server side, so that the list has something to show.
    const checkout = await s.http().post('/api/subscriptions/stripe/checkout-session').set('authorization', `Bearer ${token}`).send({ price_id: tier.monthly.id, ...urls }).expect(200);
    await s.payCheckout(checkout.body.id as string);
    const synced = await s.http().post('/api/subscriptions/stripe/checkout-session-sync').set('authorization', `Bearer ${token}`).send({ session_id: checkout.body.id }).expect(200);
    subscriptionId = synced.body.id as string;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
    await Promise.all([allowed?.close(), other?.close()]);
  });

  /** Opens the site's page, which lists the account's subscriptions with the client, and returns what it shows. */
  const listFrom = async (site: StaticSite) => {
    const tab = await openTab(browser);
    try {
      await tab.page.goto(`${site.origin}/?api=${encodeURIComponent(s.baseUrl)}#token=${token}`);
      const result = tab.page.locator('#result[data-done]');
      await result.waitFor();
      return JSON.parse((await result.textContent()) ?? 'null') as { ok: boolean; ids?: string[]; code?: string; status?: number };
    } finally {
      await tab.context.close();
    }
  };

  it('from an allowed origin, api.subscriptions.list() gets the data', async () => {
    expect(await listFrom(allowed)).toEqual({ ok: true, ids: [subscriptionId] });
  });

  it('from another origin the browser blocks the call: the client reports a network error', async () => {
    expect(await listFrom(other)).toEqual({ ok: false, code: 'network_error', status: 0 });
  });
});

interface StaticSite {
  origin: string;
  close(): Promise<void>;
}

/**
 * A host app's site on an origin of its own: a page that loads the built client (client/dist) and
 * openapi-fetch through an import map, as an app bundling the client would, and lists the
 * account's subscriptions with the token from its URL fragment.
 */
async function startSite(): Promise<StaticSite> {
  const page = `<!doctype html><meta charset="utf-8"><title>host app</title>
<script type="importmap">{ "imports": { "@billing/client": "/client/index.js", "openapi-fetch": "/openapi-fetch.mjs" } }</script>
<pre id="result"></pre>
<script type="module">
  import { createBillingClient, BillingApiError } from '@billing/client';
  const api = createBillingClient({ baseUrl: new URLSearchParams(location.search).get('api'), token: new URLSearchParams(location.hash.slice(1)).get('token') });
  const out = document.getElementById('result');
  try {
    const subscriptions = await api.subscriptions.list();
    out.textContent = JSON.stringify({ ok: true, ids: subscriptions.map((s) => s.id) });
  } catch (error) {
    out.textContent = JSON.stringify(error instanceof BillingApiError ? { ok: false, code: error.code, status: error.status } : { ok: false, code: String(error) });
  }
  out.dataset.done = 'true';
</script>`;
  const files: Record<string, string> = { '/openapi-fetch.mjs': `${REPO_ROOT}node_modules/openapi-fetch/dist/index.mjs` };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://site').pathname;
    const file = files[path] ?? (/^\/client\/[a-z-]+\.js$/.test(path) ? `${REPO_ROOT}client/dist/${path.slice('/client/'.length)}` : undefined);
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page);
      return;
    }
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
        res.end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
