import { startEmulator } from '@billing/stripe-emulator';
import { refuseConnections } from './support/database-outage.js';
import { bannerValue, freePort, startService } from './support/service-process.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, usingPostgres } from './support/test-database.js';

describe(`the service on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers /health with the database up', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });

  it('publishes the OpenAPI document with every route and the auth schemes', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    const paths = Object.keys(res.body.paths);
    expect(paths).toEqual(expect.arrayContaining(['/health', '/admin/merchants', '/admin/applications', '/admin/applications/{application_id}/api-keys']));
    expect(Object.keys(res.body.components.securitySchemes)).toEqual(expect.arrayContaining(['account-jwt', 'partner-api-key', 'admin-token']));
    const html = await t.http().get('/docs').expect(200);
    expect(html.text).toContain('swagger');
  });

  if (usingPostgres()) {
    it('answers /health with 503 and Retry-After while the database refuses connections, and 200 once it is back', async () => {
      const outage = await refuseConnections(t.config.DATABASE_URL);
      try {
        const res = await t.http().get('/health');
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
        // The service's own error format, in words, with what each check found (not terminus's exception name).
        expect(res.body.error).toMatchObject({ code: 'service_unavailable', message: 'The database could not be reached.', details: { checks: { database: { status: 'down' } } } });
      } finally {
        await outage.allow();
      }
      await t.http().get('/health').expect(200);
    });
  }

  it('creates the platform merchant and the default application on a fresh start', async () => {
    const merchants = await t.admin(t.http().get('/admin/merchants')).expect(200);
    expect(merchants.body.data).toEqual([expect.objectContaining({ id: 'platform', charge_model: 'platform', stripe_account_id: null })]);
    const app = await t.admin(t.http().get('/admin/applications/default')).expect(200);
    expect(app.body).toMatchObject({ id: 'default', merchant_id: 'platform', webhook_secrets_active: 1 });
  });

  describe('as a process (node dist/src/main.js)', () => {
    it('logs its start in JSON lines without terminal colour codes, and the route mapping only at debug', async () => {
      // On PostgreSQL a fresh database: the migrations run and log (MikroORM colours its "[migrator]" prefix).
      const database = await createTestDatabase();
      const env = { PORT: String(await freePort()), EMULATOR_PORT: '0', LOG_LEVEL: 'debug', ...(database ? { DATABASE_URL: database.url } : {}) };
      const service = await startService(env);
      try {
        const lines = service.beforeBanner.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; msg?: string; context?: string });
        expect(service.stdout()).not.toContain('\u001b');
        expect(service.stdout()).not.toContain('\\u001b');
        const mapped = lines.filter((l) => l.msg?.startsWith('Mapped {'));
        expect(mapped.length).toBeGreaterThan(20);
        expect(new Set(mapped.map((l) => l.level))).toEqual(new Set([20]));
        if (database) expect(lines).toEqual(expect.arrayContaining([expect.objectContaining({ context: 'MikroORM', msg: expect.stringMatching(/^\[migrator\] Applied '/) })]));
      } finally {
        await service.stop();
        await database?.drop();
      }
    });

    if (usingPostgres()) {
      it('in production, names the Stripe it uses and prints no token', async () => {
        const database = (await createTestDatabase())!;
        const emulator = await startEmulator({ port: 0 });
        const adminToken = 'production-admin-token-0123456789';
        const service = await startService({
          NODE_ENV: 'production',
          PORT: String(await freePort()),
          DATABASE_URL: database.url,
          STRIPE_SECRET_KEY: emulator.secretKey,
          STRIPE_API_BASE: emulator.url,
          ADMIN_TOKEN: adminToken,
          JWT_SECRET: 'production-jwt-secret-that-is-long-enough-0123',
        });
        try {
          expect(bannerValue(service.banner, 'Stripe')).toBe(`${emulator.url} (STRIPE_API_BASE), test mode`);
          expect(bannerValue(service.banner, 'Billing page')).toMatch(/^http:\/\/localhost:\d+\/billing#token=<an owner's account token>$/);
          expect(bannerValue(service.banner, 'Database')).toBe('PostgreSQL (DATABASE_URL)');
          expect(bannerValue(service.banner, 'Admin token')).toBeUndefined();
          expect(bannerValue(service.banner, 'Demo catalog')).toBeUndefined();
          expect(service.stdout()).not.toContain(adminToken);
          expect(service.stdout()).not.toContain('DEVELOPMENT DEFAULTS');
        } finally {
          await service.stop();
          await emulator.stop();
          await database.drop();
        }
      });
    }
  });
});
