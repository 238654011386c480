import { startTestApp, type TestApp } from './support/test-app.js';
import { usingPostgres } from './support/test-database.js';

/**
 * The security headers every answer carries (helmet, src/infra/http/security-headers.ts):
 * a locked-down CSP on API answers, the billing page's own CSP left as its controller writes it,
 * Swagger UI's CSP allowing its own scripts and styles, and HSTS only with HTTPS_ONLY.
 */
describe(`security headers, on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_WORKER_ENABLED: 'false', RECONCILER_ENABLED: 'false' });
  });
  afterAll(() => t?.close());

  it('an API answer, a success and an error alike: nosniff, no referrer, a CSP that allows nothing, no HSTS on plain http', async () => {
    for (const res of [await t.http().get('/health/live').expect(200), await t.http().get('/admin/merchants').expect(401), await t.http().get('/no-such-route').expect(404)]) {
      expect(res.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
      expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'");
      expect(res.headers['strict-transport-security']).toBeUndefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it("API answers leave out helmet's headers for documents, which a JSON answer is not; the documents keep them", async () => {
    const DOCUMENT_ONLY = ['x-dns-prefetch-control', 'x-download-options', 'x-permitted-cross-domain-policies', 'x-xss-protection', 'origin-agent-cluster', 'cross-origin-opener-policy'];
    for (const res of [await t.http().get('/health/live').expect(200), await t.http().get('/api/applications/default/app-payment-customers?company_id=1').expect(401)]) {
      expect(DOCUMENT_ONLY.filter((name) => name in res.headers)).toEqual([]);
      expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    }
    const docs = await t.http().get('/docs').expect(200);
    expect(DOCUMENT_ONLY.filter((name) => !(name in docs.headers))).toEqual([]);
    const billing = await t.http().get('/billing').expect(200);
    expect(DOCUMENT_ONLY.filter((name) => !(name in billing.headers))).toEqual(['cross-origin-opener-policy']);
  });

  it('the billing page keeps its own CSP (one header, its script hash and frame-ancestors), and no X-Frame-Options that would forbid embedding', async () => {
    const res = await t.http().get('/billing').expect(200);
    const csp = res.headers['content-security-policy'] as string;
    expect(typeof csp).toBe('string');
    expect(csp).toMatch(/^default-src 'none'; script-src 'self' 'sha256-[A-Za-z0-9+/=]+'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'/);
    expect(res.headers['x-frame-options']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    // The checkout and portal tabs report back to the page through window.opener, which a
    // same-origin Cross-Origin-Opener-Policy would cut (the browser suite hung on it).
    expect(res.headers['cross-origin-opener-policy']).toBeUndefined();
  });

  it('serves Swagger UI with a CSP that lets its own scripts and styles load, and they load', async () => {
    const page = await t.http().get('/docs').expect(200);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    // The page uses no inline script (which script-src 'self' would block): only files of this origin.
    expect(page.text).not.toMatch(/<script>/);
    const assets = [...page.text.matchAll(/<script src="([^"]+)"|<link[^>]+href=['"]([^'"]+\.css)['"]/g)].map((m) => m[1] ?? m[2]!);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      const url = new URL(asset, `${t.baseUrl}/docs`);
      expect(url.origin).toBe(new URL(t.baseUrl).origin);
      const res = await t.http().get(url.pathname);
      expect({ asset: url.pathname, status: res.status }).toEqual({ asset: url.pathname, status: 200 });
    }
  });

  it('with HTTPS_ONLY, every answer carries Strict-Transport-Security', async () => {
    const https = await startTestApp({ HTTPS_ONLY: 'true', WEBHOOK_WORKER_ENABLED: 'false', RECONCILER_ENABLED: 'false' });
    try {
      for (const path of ['/health/live', '/billing', '/docs']) {
        const res = await https.http().get(path).expect(200);
        expect({ path, hsts: res.headers['strict-transport-security'] }).toEqual({ path, hsts: 'max-age=31536000' });
      }
    } finally {
      await https.close();
    }
  });
});
