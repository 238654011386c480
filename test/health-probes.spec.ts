import { EntityManager } from '@mikro-orm/core';
import { WebhookWorker } from '../src/webhooks/webhook-worker.service.js';
import { refuseConnections } from './support/database-outage.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { usingPostgres } from './support/test-database.js';

/**
 * The probes an orchestrator polls: /health/live (the process answers) and /health/ready (the
 * database answers, no migration is pending, the enabled webhook worker runs). Not ready is the
 * service's error format, 503 `not_ready` with each check and Retry-After.
 */
describe(`liveness and readiness probes, on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_WORKER_ENABLED: 'true', RECONCILER_ENABLED: 'false' });
  });
  afterAll(() => t?.close());

  it('answers /health/live and /health/ready with 200 when all is well', async () => {
    const live = await t.http().get('/health/live').expect(200);
    expect(live.body).toMatchObject({ status: 'ok' });
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', details: { database: { status: 'up' }, migrations: { status: 'up' }, webhook_worker: { status: 'up' } } });
    expect(ready.headers['cache-control']).toContain('no-cache');
  });

  it('is not ready while a migration is pending, and ready again once it is applied', async () => {
    const connection = t.app.get(EntityManager).getConnection();
    const [last] = await connection.execute<{ id: number; name: string; executed_at: Date }[]>('select id, name, executed_at from mikro_orm_migrations order by id desc limit 1');
    // Forgetting the last migration's record makes it pending, as a new image would find its new migration.
    await connection.execute('delete from mikro_orm_migrations where id = ?', [last.id]);
    try {
      const res = await t.http().get('/health/ready').set('accept-language', 'ja');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(res.body.error).toMatchObject({ code: 'not_ready', details: { checks: { database: { status: 'up' }, migrations: { status: 'down', pending: [last.name] } } } });
      expect(res.body.error.message).toBe('サービスはまだリクエストを受け付ける準備ができていません。');
      await t.http().get('/health/live').expect(200);
    } finally {
      await connection.execute('insert into mikro_orm_migrations (id, name, executed_at) values (?, ?, ?)', [last.id, last.name, last.executed_at]);
    }
    await t.http().get('/health/ready').expect(200);
  });

  if (usingPostgres()) {
    it('is not ready while the database refuses connections, alive meanwhile, and ready once it is back', async () => {
      const outage = await refuseConnections(t.config.DATABASE_URL);
      try {
        const res = await t.http().get('/health/ready');
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
        expect(res.body.error).toMatchObject({ code: 'not_ready', message: expect.stringContaining('database'), details: { checks: { database: { status: 'down' } } } });
        await t.http().get('/health/live').expect(200);
      } finally {
        await outage.allow();
      }
      await t.http().get('/health/ready').expect(200);
    });
  }

  // Last: stops the worker (as shutdown does), which this app does not get back.
  it('is not ready once the webhook worker has stopped, alive meanwhile', async () => {
    await t.app.get(WebhookWorker).onApplicationShutdown();
    const res = await t.http().get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'not_ready', message: 'Not ready: webhook_worker.', details: { checks: { database: { status: 'up' }, webhook_worker: { status: 'down' } } } });
    await t.http().get('/health/live').expect(200);
  });
});
