import pg from 'pg';
import { ApplicationsService } from '../src/tenancy/applications.service.js';
import { refuseConnections, terminateConnections } from './support/database-outage.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { usingPostgres } from './support/test-database.js';
import { countWebhookEvents, postWebhook, query, stripeEvent, stripeSignature } from './support/webhooks.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * PostgreSQL dropping the service's connections (a restart, a failover, an operator's
 * pg_terminate_backend) or refusing new ones. The caller gets 503 database_unavailable with
 * Retry-After, never a 500; a stored webhook is not lost to it; the pool recovers by itself.
 * The outages themselves are PostgreSQL's: embedded PGlite runs in the process and has no
 * connections to lose.
 */
describe(`the service when the database drops or refuses its connections, on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let t: TestApp;
  let secret: string;
  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_WORKER_ENABLED: 'false', RECONCILER_ENABLED: 'false' });
    [secret] = await t.app.get(ApplicationsService).currentWebhookSecrets('default');
  });
  afterAll(() => t?.close());

  it('the API document declares 503 database_unavailable with Retry-After on every operation', async () => {
    const doc = (await t.http().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, { responses?: Record<string, { description?: string; headers?: Record<string, unknown> }> }>> };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, unavailable: op.responses?.['503'] })));
    expect(operations.length).toBeGreaterThan(20);
    for (const { route, unavailable } of operations) {
      expect({ route, description: unavailable?.description, retryAfter: unavailable?.headers?.['Retry-After'] !== undefined }).toEqual({ route, description: expect.stringContaining('database_unavailable'), retryAfter: true });
    }
  });

  if (usingPostgres()) {
    /**
     * Runs `request` while a connection of the test's own holds an exclusive lock on `table`, so
     * that the request's statement waits on it; then kills every other connection to the database
     * (the request's among them) and lets the lock go. The request's statement dies mid-flight.
     */
    async function killedMidRequest<T>(table: string, request: () => Promise<T>): Promise<T> {
      const url = new URL(t.config.DATABASE_URL);
      const locker = new pg.Client({ connectionString: url.toString() });
      await locker.connect();
      try {
        await locker.query('begin');
        await locker.query(`lock table ${table} in access exclusive mode`);
        const answer = request();
        // Wait until the request's statement is queued behind the lock.
        for (let i = 0; ; i++) {
          const { rows } = await locker.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`);
          if (rows[0].n > 0) break;
          if (i > 500) throw new Error('the request never reached the database');
          await sleep(10);
        }
        await locker.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
        await locker.query('commit');
        return await answer;
      } finally {
        await locker.end();
      }
    }

    it('a connection killed under a request: 503 database_unavailable with Retry-After, and the next request succeeds', async () => {
      await t.admin(t.http().get('/admin/webhook-events')).expect(200);
      const res = await killedMidRequest('webhook_events', () => t.admin(t.http().get('/admin/webhook-events')).then((r) => r));
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('database_unavailable');
      expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      // The pool replaced the dead connection: no restart needed.
      await t.admin(t.http().get('/admin/webhook-events')).expect(200);
      await t.http().get('/health').expect(200);
    });

    it('idle connections killed between requests: the next request succeeds', async () => {
      await t.admin(t.http().get('/admin/webhook-events')).expect(200);
      expect(await terminateConnections(t.config.DATABASE_URL)).toBeGreaterThan(0);
      await t.admin(t.http().get('/admin/webhook-events')).expect(200);
    });

    it("a webhook whose insert loses its connection is stored all the same (the insert is retried once) and answered 200", async () => {
      const before = await countWebhookEvents(t.app);
      const { id, body } = stripeEvent('customer.created', { id: 'cus_outage', object: 'customer' });
      const res = await killedMidRequest('webhook_events', () => postWebhook(t.http, 'default', body, stripeSignature(secret, body)).then((r) => r));
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { received: true, duplicate: false } });
      expect(await countWebhookEvents(t.app)).toBe(before + 1);
      // Stripe's own retry of the same event is a duplicate, not a second row.
      const again = await postWebhook(t.http, 'default', body, stripeSignature(secret, body)).expect(200);
      expect(again.body).toEqual({ received: true, duplicate: true });
      const [row] = await query<{ n: number }>(t.app, 'select count(*)::int as n from webhook_events where id = ?', [id]);
      expect(row!.n).toBe(1);
    });

    it('new connections refused: 503 database_unavailable with Retry-After until PostgreSQL takes them again', async () => {
      const outage = await refuseConnections(t.config.DATABASE_URL);
      try {
        const res = await t.admin(t.http().get('/admin/webhook-events'));
        expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 503, code: 'database_unavailable' });
        expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      } finally {
        await outage.allow();
      }
      await t.admin(t.http().get('/admin/webhook-events')).expect(200);
    });
  }
});
