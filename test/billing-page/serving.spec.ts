import { createHash } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * How the service serves the billing page (/billing): the HTML shell with its Content-Security-
 * Policy (the import map allowed by its hash, embedding only by the applications' origins), the
 * page's compiled modules and stylesheet, and the built client and openapi-fetch it imports; and
 * nothing else from disk. The suite's global setup has built them (npm run build).
 */
describe('the billing page is served', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    const res = await t.admin(t.http().patch('/admin/applications/default')).send({ allowed_origins: ['https://host.example'] });
    expect(res.status).toBe(200);
  });
  afterAll(() => t.close());

  it('as an HTML shell whose CSP allows only its own scripts, its import map by hash, and embedding by the applications’ origins', async () => {
    const res = await t.http().get('/billing').set('accept-language', 'en-US,en;q=0.9');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    const html = res.text;
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<script type="module" src="/billing/assets/app/main.js"></script>');
    // No inline script but the import map (JSON), which the CSP names by its hash.
    const importMap = /<script type="importmap">([^<]*)<\/script>/.exec(html)![1]!;
    expect(html.match(/<script/g)).toHaveLength(2);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain(`script-src 'self' 'sha256-${createHash('sha256').update(importMap).digest('base64')}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toMatch(/frame-ancestors 'self' [^;]*https:\/\/host\.example/);

    // Every module the import map names is served, as JavaScript.
    const { imports } = JSON.parse(importMap) as { imports: Record<string, string> };
    expect(Object.keys(imports).sort()).toEqual(['@billing/client', 'openapi-fetch']);
    for (const url of Object.values(imports)) {
      const file = await t.http().get(url);
      expect({ url, status: file.status, type: file.headers['content-type'] }).toEqual({ url, status: 200, type: 'text/javascript; charset=utf-8' });
    }
  });

  it('in Japanese for a Japanese browser or ?lang=ja', async () => {
    expect((await t.http().get('/billing').set('accept-language', 'ja,en;q=0.5')).text).toContain('<html lang="ja">');
    expect((await t.http().get('/billing?lang=ja')).text).toContain('<title>お支払いとプラン</title>');
  });

  it('with its modules and stylesheet, revalidated by ETag', async () => {
    const main = await t.http().get('/billing/assets/app/main.js');
    expect(main.status).toBe(200);
    expect(main.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(main.text).toContain("from './page.js'");
    const css = await t.http().get('/billing/assets/app/billing.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const again = await t.http().get('/billing/assets/app/main.js').set('if-none-match', main.headers.etag as string);
    expect(again.status).toBe(304);
  });

  it('and no other file: sources, declarations, dot files, paths out of the folders, unknown folders are 404', async () => {
    for (const path of [
      '/billing/assets/app/main.ts',
      '/billing/assets/app/..%2F..%2Fpackage.json',
      '/billing/assets/app/%2e%2e/src/main.js',
      '/billing/assets/app/.hidden.js',
      '/billing/assets/client/index.d.ts',
      '/billing/assets/client/../package.json',
      '/billing/assets/openapi-fetch/index.cjs',
      '/billing/assets/node_modules/x.js',
      '/billing/assets/app/',
    ]) {
      const res = await t.http().get(path);
      expect({ path, status: res.status, code: res.body?.error?.code }).toEqual({ path, status: 404, code: 'not_found' });
    }
  });
});
