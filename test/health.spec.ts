import { refuseConnections } from './support/database-outage.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { usingPostgres } from './support/test-database.js';

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
});
