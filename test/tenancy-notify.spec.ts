import { EntityManager } from '@mikro-orm/core';
import pg from 'pg';
import { DatabaseNotifications } from '../src/infra/database/notifications.js';
import { TENANCY_CHANNEL } from '../src/tenancy/tenancy-cache.js';
import { accountToken, startTestApp, type TestApp } from './support/test-app.js';
import { usingPostgres } from './support/test-database.js';
import { postWebhook, stripeEvent, stripeSignature } from './support/webhooks.js';

/**
 * Tenancy changes (partner keys, applications, merchants, webhook secrets) take effect on every
 * instance at once, although each instance caches applications and keys for 5 seconds: the
 * writer announces the change with NOTIFY in its transaction, and every instance listens.
 */

const LOOKUP = '/api/applications/default/app-payment-customers?company_id=ACME';
/** How long another instance may take to apply a change (the caches' TTL, the old bound, is 5 s). */
const PROPAGATION_MS = 1_000;

const lookup = (t: TestApp, key: string) => t.http().get(LOOKUP).set('authorization', `Bearer ${key}`);

async function issueKey(t: TestApp, applicationId = 'default'): Promise<{ id: string; key: string }> {
  const res = await t.admin(t.http().post(`/admin/applications/${applicationId}/api-keys`)).send({ name: 'partner' });
  expect(res.status).toBe(201);
  return res.body;
}

const revokeKey = async (t: TestApp, id: string, applicationId = 'default') =>
  expect((await t.admin(t.http().delete(`/admin/applications/${applicationId}/api-keys/${id}`))).status).toBe(200);

/** Polls `probe` until `done` holds of its result or `withinMs` has passed; returns the last result and when it came. */
async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, withinMs: number): Promise<{ value: T; afterMs: number }> {
  const started = performance.now();
  for (;;) {
    const value = await probe();
    const afterMs = performance.now() - started;
    if (done(value) || afterMs > withinMs) return { value, afterMs };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const status = (res: { status: number; body: { error?: { code: string } } }) => ({ status: res.status, code: res.body.error?.code ?? null });

/** The account-less subscription list of ACME under an application named by the token. */
const subscriptionsOf = async (t: TestApp, applicationId: string) =>
  t.http().get('/api/subscriptions').set('authorization', `Bearer ${await accountToken({ acc: 'ACME', role: 'owner', app: applicationId })}`);

/** What every instance must do on its own: a change made through it applies there at once, warm caches or not. */
function singleInstanceCases(app: () => TestApp) {
  it('a revoked key is refused at once by the instance that revoked it', async () => {
    const t = app();
    const issued = await issueKey(t);
    expect((await lookup(t, issued.key)).status).toBe(200); // cached
    await revokeKey(t, issued.id);
    expect(status(await lookup(t, issued.key))).toEqual({ status: 401, code: 'api_key_revoked' });
  });

  it('an application created after a request found none is found at once', async () => {
    const t = app();
    const id = `late-single-${usingPostgres() ? 'pg' : 'pglite'}`;
    expect(status(await subscriptionsOf(t, id))).toEqual({ status: 404, code: 'application_not_found' }); // its absence cached
    expect((await t.admin(t.http().post('/admin/applications')).send({ id, name: 'Late', merchant_id: 'platform' })).status).toBe(201);
    expect((await subscriptionsOf(t, id)).status).toBe(200);
  });
}

if (usingPostgres()) {
  describe('tenancy changes on two instances of one PostgreSQL database', () => {
    let one: TestApp;
    let two: TestApp;

    beforeAll(async () => {
      const env = { WEBHOOK_WORKER_ENABLED: 'false', RECONCILER_ENABLED: 'false' };
      one = await startTestApp(env);
      two = await startTestApp(env, {}, { databaseUrl: one.config.DATABASE_URL });
    });
    afterAll(async () => {
      await two?.close();
      await one?.close();
    });

    /** Raw SQL on the shared database, outside both instances. */
    async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
      const client = new pg.Client({ connectionString: one.config.DATABASE_URL });
      await client.connect();
      try {
        return (await client.query<T>(text, values)).rows;
      } finally {
        await client.end();
      }
    }
    const listeners = () => sql<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database() and application_name = 'billing-notifications' and query ilike 'listen%'`);

    it('each instance listens on a connection of its own', async () => {
      expect(one.app.get(DatabaseNotifications).listening).toBe(true);
      expect(two.app.get(DatabaseNotifications).listening).toBe(true);
      expect(await listeners()).toHaveLength(2);
    });

    it('a key revoked on one instance is refused by the other within a second, although the other had it cached', async () => {
      const issued = await issueKey(one);
      expect((await lookup(one, issued.key)).status).toBe(200);
      expect((await lookup(two, issued.key)).status).toBe(200);
      await revokeKey(one, issued.id);
      expect(status(await lookup(one, issued.key))).toEqual({ status: 401, code: 'api_key_revoked' });
      const { value, afterMs } = await eventually(() => lookup(two, issued.key), (res) => res.status === 401, PROPAGATION_MS);
      expect({ ...status(value), inTime: afterMs <= PROPAGATION_MS }).toEqual({ status: 401, code: 'api_key_revoked', inTime: true });
      // The batch route too, and another key of the application still works there.
      expect(status(await two.http().post('/api/applications/default/app-payment-customers/batch').set('authorization', `Bearer ${issued.key}`).send({ company_ids: ['ACME'] }))).toEqual({ status: 401, code: 'api_key_revoked' });
      expect((await lookup(two, (await issueKey(one)).key)).status).toBe(200);
    });

    it('an application created on one instance is found by the other within a second, although the other had cached its absence', async () => {
      expect(status(await subscriptionsOf(two, 'late-app'))).toEqual({ status: 404, code: 'application_not_found' });
      expect((await one.admin(one.http().post('/admin/applications')).send({ id: 'late-app', name: 'Late', merchant_id: 'platform' })).status).toBe(201);
      const { value, afterMs } = await eventually(() => subscriptionsOf(two, 'late-app'), (res) => res.status === 200, PROPAGATION_MS);
      expect({ status: value.status, inTime: afterMs <= PROPAGATION_MS }).toEqual({ status: 200, inTime: true });
    });

    it('a webhook secret rotated on one instance (no overlap) stops verifying on the other at once', async () => {
      const created = await one.admin(one.http().post('/admin/applications')).send({ id: 'rotating', name: 'Rotating', merchant_id: 'platform', webhook_secret: 'whsec_beforeRotation0001' });
      expect(created.status).toBe(201);
      const signedWith = (secret: string) => {
        const event = stripeEvent('customer.created', { id: 'cus_rotation', object: 'customer', metadata: {} });
        return postWebhook(two.http, 'rotating', event.body, stripeSignature(secret, event.body));
      };
      expect((await signedWith('whsec_beforeRotation0001')).status).toBe(200);
      expect((await one.admin(one.http().post('/admin/applications/rotating/webhook-secret/rotate')).send({ secret: 'whsec_afterRotation00001', overlap_hours: 0 })).status).toBe(200);
      expect(status(await signedWith('whsec_beforeRotation0001'))).toEqual({ status: 400, code: 'invalid_signature' });
      expect((await signedWith('whsec_afterRotation00001')).status).toBe(200);
    });

    it('a change is announced when its transaction commits, and never when it rolls back', async () => {
      const heard: string[] = [];
      const listener = new pg.Client({ connectionString: one.config.DATABASE_URL });
      await listener.connect();
      try {
        listener.on('notification', (n) => heard.push(n.payload ?? ''));
        await listener.query(`listen ${TENANCY_CHANNEL}`);
        const notifications = one.app.get(DatabaseNotifications);
        const em = one.app.get(EntityManager).fork();
        await expect(
          em.transactional(async (tx) => {
            await notifications.notify(tx, TENANCY_CHANNEL, JSON.stringify({ application: 'rolled-back' }));
            throw new Error('the change fails after its announcement');
          }),
        ).rejects.toThrow('the change fails');
        await em.transactional((tx) => notifications.notify(tx, TENANCY_CHANNEL, JSON.stringify({ application: 'committed' })));
        // Notifications arrive in commit order: once the committed one is here, the other would have been too.
        await eventually(async () => heard.length, (n) => n > 0, PROPAGATION_MS);
        expect(heard).toEqual([JSON.stringify({ application: 'committed' })]);
        // Outside a transaction there is nothing to tie the announcement to: refused.
        await expect(notifications.notify(em, TENANCY_CHANNEL, '{}')).rejects.toThrow(/inside the transaction/);
      } finally {
        await listener.end();
      }
    });

    it('when the listening connections drop, they come back, forget what they cached, and hear changes again', async () => {
      const before = await issueKey(one);
      expect((await lookup(two, before.key)).status).toBe(200);
      const killed = await sql<{ pid: number }>(
        `select pid, pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'billing-notifications'`,
      );
      expect(killed).toHaveLength(2);
      // Revoked while the other instance may not be listening: its reconnection drops its cache.
      await revokeKey(one, before.id);
      const dropped = await eventually(() => lookup(two, before.key), (res) => res.status === 401, 2_000 + PROPAGATION_MS);
      expect(status(dropped.value)).toEqual({ status: 401, code: 'api_key_revoked' });

      const back = await eventually(listeners, (rows) => rows.length === 2, 10_000);
      expect(back.value.map((r) => r.pid).sort()).not.toEqual(killed.map((r) => r.pid).sort());
      expect(back.value).toHaveLength(2);
      const after = await issueKey(one);
      expect((await lookup(two, after.key)).status).toBe(200);
      await revokeKey(one, after.id);
      const { value, afterMs } = await eventually(() => lookup(two, after.key), (res) => res.status === 401, PROPAGATION_MS);
      expect({ ...status(value), inTime: afterMs <= PROPAGATION_MS }).toEqual({ status: 401, code: 'api_key_revoked', inTime: true });
    });

    describe('each instance on its own', () => singleInstanceCases(() => two));
  });
} else {
  // Embedded PGlite is one process, so one instance: there is nobody to notify, and nothing listens.
  describe('tenancy changes on the one instance of embedded PGlite', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ WEBHOOK_WORKER_ENABLED: 'false', RECONCILER_ENABLED: 'false' });
    });
    afterAll(() => t.close());

    it('opens no listening connection', () => {
      const notifications = t.app.get(DatabaseNotifications);
      expect({ enabled: notifications.enabled, listening: notifications.listening }).toEqual({ enabled: false, listening: false });
    });

    singleInstanceCases(() => t);
  });
}
