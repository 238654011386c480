import { AuthProbeModule } from './support/auth-probe.module.js';
import { accountToken, startTestApp, type TestApp } from './support/test-app.js';
import { usingPostgres } from './support/test-database.js';
import { appWithCapturedLog } from './support/captured-log.js';

/*
 * A file of its own on purpose: nestjs-pino builds one pino-http instance per module registry
 * (the first app started wins, later apps in the same file reuse its level and destination).
 * Here the only app is the one logging at info.
 */
const bearer = (token: string) => `Bearer ${token}`;

describe(`secrets in the request log on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  const { lines, app } = appWithCapturedLog(() => startTestApp({ LOG_LEVEL: 'info' }, { imports: [AuthProbeModule] }));
  let t: TestApp;
  beforeAll(() => {
    t = app();
  });

  it('logs the request id but never the bearer token, the API key or the admin token', async () => {
    const issued = await t.admin(t.http().post('/admin/applications/default/api-keys')).send({ name: 'logged' }).expect(201);
    const apiKey: string = issued.body.key;
    const token = await accountToken({ acc: 'ACME', role: 'owner' });
    const badToken = await accountToken({ acc: 'ACME' }, { secret: 'another-secret-that-is-long-enough-0123456789' });
    lines.length = 0;

    await t.http().get('/probe/accounts/ACME').set('authorization', bearer(token)).set('x-request-id', 'req-account-0001').expect(200);
    await t.http().get('/probe/accounts/ACME').set('authorization', bearer(badToken)).set('x-request-id', 'req-badtoken-0002').expect(401);
    await t.http().get('/probe/applications/default/partner').set('authorization', bearer(apiKey)).set('x-request-id', 'req-partner-0003').expect(200);
    await t.http().get('/probe/applications/default/partner').set('x-api-key', apiKey).set('x-request-id', 'req-apikey-0004').expect(200);
    await t.admin(t.http().get('/probe/admin')).set('x-request-id', 'req-admin-0005').expect(200);
    await t.http().get('/probe/admin').set('authorization', bearer(`${t.config.ADMIN_TOKEN}-wrong`)).set('x-request-id', 'req-badadmin-0006').expect(401);

    const log = lines.join('\n');
    for (const id of ['req-account-0001', 'req-badtoken-0002', 'req-partner-0003', 'req-apikey-0004', 'req-admin-0005', 'req-badadmin-0006']) {
      expect(log).toContain(id);
    }
    expect(log).toContain('[redacted]');
    for (const secret of [token, badToken, apiKey, t.config.ADMIN_TOKEN]) {
      expect(log).not.toContain(secret);
    }
    // Not even a recognisable piece of a token (its signature) or of the key.
    expect(log).not.toContain(token.split('.')[2]);
    expect(log).not.toContain(apiKey.slice(-16));
  });

  it('logs request headers by allow-list: a secret in any other header (proxy auth, custom tokens, idempotency keys) never reaches the log', async () => {
    const secrets = {
      'proxy-authorization': 'Basic cHJveHktdXNlcjpwcm94eS1zZWNyZXQtNzcxMw==',
      'x-auth-token': 'xauth-secret-value-5f1e2d3c',
      'idempotency-key': 'idem-secret-value-9a8b7c6d',
      'x-acme-session-secret': 'custom-secret-value-4e5f6a7b',
      'x-upstream-signature': 'sig-secret-value-0c1d2e3f',
    };
    lines.length = 0;
    const req = t.http().get('/probe/me').set('authorization', bearer(await accountToken({ acc: 'ACME', role: 'owner' }))).set('x-request-id', 'req-headers-0007').set('user-agent', 'header-test-agent/1.0');
    for (const [name, value] of Object.entries(secrets)) req.set(name, value);
    await req.expect(200);

    const log = lines.join('\n');
    const entry = lines.map((l) => JSON.parse(l) as { req?: { id?: string; headers?: Record<string, unknown> } }).find((l) => l.req?.id === 'req-headers-0007');
    expect(entry?.req?.headers).toBeDefined();
    // Known-safe headers stay readable, so the log still says who called and how.
    expect(entry!.req!.headers).toMatchObject({ 'user-agent': 'header-test-agent/1.0', 'x-request-id': 'req-headers-0007' });
    for (const [name, value] of Object.entries(secrets)) {
      expect(log).not.toContain(value);
      expect(entry!.req!.headers![name]).toBe('[redacted]');
    }
  });
});
