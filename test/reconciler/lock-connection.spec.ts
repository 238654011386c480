import { control } from '../support/mirror-check.js';
import { onServer } from '../support/database-outage.js';
import { startStack, type Stack } from '../support/stack.js';
import { usingPostgres } from '../support/test-database.js';
import { postRun, waitForRun } from './helpers.js';

/**
 * The reconcile lock is a session advisory lock on a connection of its own (PostgreSQL). Found by
 * the reliability suite: that connection killed under a run (a failover, pg_terminate_backend) made
 * its client emit an 'error' nobody listened to, which ended the whole process. Now the run goes
 * on and the instance keeps serving. On PGlite there is no such connection; the run is checked alike.
 */
describe(`a reconcile run whose lock connection is killed, on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ RECONCILER_MAX_REQUESTS_PER_SECOND: '100' });
    s.emulator.setWebhooksEnabled(false);
    await control(s, 'POST', '/_emulator/seed', { count: 300 });
  });
  afterAll(() => s.close());

  it('finishes the run, and the instance keeps answering', async () => {
    // Slow Stripe, so that the run is still going when its lock connection is killed.
    s.emulator.setFaults({ api: [{ path: '/v1/subscriptions', method: 'GET', latency_ms: 400 }] });
    const started = await postRun(s, {});
    expect(started.status).toBe(202);
    if (usingPostgres()) {
      let killed = 0;
      for (let i = 0; i < 100 && killed === 0; i++) {
        killed = await onServer(s.config.DATABASE_URL, async (client, database) => {
          const res = await client.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = 'billing-reconcile-lock'`, [database]);
          return res.rowCount ?? 0;
        });
        if (killed === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(killed).toBe(1);
    }
    const run = await waitForRun(s, started.body.id as string);
    s.emulator.clearFaults();
    expect(run).toMatchObject({ status: 'succeeded', created: 300, error: null });
    expect((await s.http().get('/health')).status).toBe(200);
  });
});
