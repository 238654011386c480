import { startStack, type Stack } from './support/stack.js';
import { accountToken } from './support/test-app.js';

const APP_ORIGIN = 'https://app.example.com';
const OTHER_APP_ORIGIN = 'https://other.example.com';
const EVIL_ORIGIN = 'https://evil.example.net';

/**
 * CORS for browser apps: an application's allowed origins may call the account routes with a
 * bearer token; other origins, and the admin and partner routes, get no CORS headers. (The real
 * browser's side is checked in test/browser/cors.browser.spec.ts.)
 */
describe('CORS for browser apps', () => {
  let s: Stack;
  let token: string;
  beforeAll(async () => {
    s = await startStack();
    await s.admin(s.http().patch('/admin/applications/default')).send({ allowed_origins: [APP_ORIGIN] }).expect(200);
    await s.admin(s.http().post('/admin/applications')).send({ id: 'other', name: 'Other', merchant_id: 'platform', allowed_origins: [OTHER_APP_ORIGIN] }).expect(201);
    token = await accountToken({ acc: 'CORS-1', role: 'owner' });
  });
  afterAll(() => s.close());

  const preflight = (path: string, origin: string, method = 'GET', headers = 'authorization,x-application-id') =>
    s.http().options(path).set('origin', origin).set('access-control-request-method', method).set('access-control-request-headers', headers);

  it('answers a preflight from an allowed origin with the methods and headers a browser app needs', async () => {
    for (const path of ['/api/subscriptions', '/api/subscriptions/features', '/api/accounts/CORS-1/subscriptions/change', '/api/subscriptions/sub_1/cancel']) {
      const res = await preflight(path, APP_ORIGIN, 'POST', 'authorization,content-type,idempotency-key,x-application-id');
      expect({ path, status: res.status }).toEqual({ path, status: 204 });
      expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
      expect(res.headers['access-control-allow-methods']).toBe('GET, POST');
      expect(res.headers['access-control-allow-headers']!.toLowerCase().split(',').map((h) => h.trim()).sort()).toEqual(['authorization', 'content-type', 'idempotency-key', 'x-application-id']);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers.vary).toMatch(/origin/i);
      expect(res.headers['content-length']).toBe('0');
    }
    // Not a preflight a browser sends (no Access-Control-Request-Method): refused, as the CORS spec's strict reading has it.
    const bare = await s.http().options('/api/subscriptions').set('origin', APP_ORIGIN);
    expect(bare.status).toBe(400);
  });

  it('gives no CORS headers to another origin, nor to the admin and partner routes from any origin', async () => {
    const refused = [
      preflight('/api/subscriptions', EVIL_ORIGIN),
      preflight('/admin/merchants', APP_ORIGIN),
      preflight('/admin/applications/default', APP_ORIGIN, 'POST'),
      preflight('/api/applications/default/app-payment-customers?company_id=1', APP_ORIGIN),
      preflight('/api/applications/default/subscriptions/stripe/webhook', APP_ORIGIN, 'POST'),
    ];
    for (const res of await Promise.all(refused)) {
      expect({ url: res.request.url, allow: res.headers['access-control-allow-origin'] }).toEqual({ url: res.request.url, allow: undefined });
      expect(res.status).toBeGreaterThanOrEqual(400);
    }
    const admin = await s.admin(s.http().get('/admin/merchants')).set('origin', APP_ORIGIN).expect(200);
    expect(admin.headers['access-control-allow-origin']).toBeUndefined();
    // Every answer varies by Origin, so that no cache hands one origin's answer to another.
    expect(admin.headers.vary).toMatch(/origin/i);
  });

  it("serves a request from the application's own origin with CORS headers; refuses an origin of another application with 403 origin_not_allowed", async () => {
    const ok = await s.http().get('/api/subscriptions').set('origin', APP_ORIGIN).set('authorization', `Bearer ${token}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ data: [] });
    expect(ok.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    expect(ok.headers['access-control-expose-headers']!.toLowerCase()).toContain('x-request-id');

    // Allowed for "other", not for the application this token is for: nothing of it is served.
    const cross = await s.http().get('/api/subscriptions').set('origin', OTHER_APP_ORIGIN).set('authorization', `Bearer ${token}`);
    expect(cross.status).toBe(403);
    expect(cross.body.error.code).toBe('origin_not_allowed');
    const evil = await s.http().get('/api/subscriptions').set('origin', EVIL_ORIGIN).set('authorization', `Bearer ${token}`);
    expect(evil.status).toBe(403);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();

    // The same token for "other" is served to other's origin.
    const otherToken = await accountToken({ acc: 'CORS-1', role: 'owner', app: 'other' });
    const other = await s.http().get('/api/subscriptions').set('origin', OTHER_APP_ORIGIN).set('authorization', `Bearer ${otherToken}`);
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBe(OTHER_APP_ORIGIN);
  });

  it('a page the service serves itself (same origin) may call it, and an origin added through the admin API is allowed at once', async () => {
    const self = new URL(s.baseUrl).origin;
    const res = await s.http().post('/api/subscriptions/sync').set('origin', self).set('authorization', `Bearer ${token}`).send({});
    expect(res.status).toBe(200);
    const newOrigin = 'https://new.example.com';
    expect((await preflight('/api/subscriptions', newOrigin)).headers['access-control-allow-origin']).toBeUndefined();
    await s.admin(s.http().patch('/admin/applications/default')).send({ allowed_origins: [APP_ORIGIN, newOrigin] }).expect(200);
    expect((await preflight('/api/subscriptions', newOrigin)).headers['access-control-allow-origin']).toBe(newOrigin);
    expect((await s.http().get('/api/subscriptions').set('origin', newOrigin).set('authorization', `Bearer ${token}`)).status).toBe(200);
  });
});
