import { ScheduledRuns, scheduledTick } from '../src/infra/scheduling/scheduled-runs.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { usingPostgres } from './support/test-database.js';
import { query } from './support/webhooks.js';

/**
 * Scheduled jobs run once per tick across instances: every instance's cron fires, the first to
 * claim the tick in PostgreSQL runs it. On PostgreSQL the claims come from three instances of one
 * deployment at once; on PGlite (one process) from concurrent claims of one instance.
 */
describe(`scheduled ticks are claimed once, on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  const apps: TestApp[] = [];
  beforeAll(async () => {
    apps.push(await startTestApp({ RECONCILER_ENABLED: 'false', WEBHOOK_WORKER_ENABLED: 'false' }));
    if (usingPostgres()) {
      for (let i = 0; i < 2; i++) apps.push(await startTestApp({ RECONCILER_ENABLED: 'false', WEBHOOK_WORKER_ENABLED: 'false' }, {}, { databaseUrl: apps[0]!.config.DATABASE_URL }));
    }
  });
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
  });

  it('gives each tick to exactly one of the instances firing for it, a few milliseconds apart', async () => {
    const runs = apps.map((a) => a.app.get(ScheduledRuns));
    const tick = Date.UTC(2026, 10, 30, 3, 0, 0);
    // 12 firings per tick from 3 (or 1) instances, some just before the minute, some just after.
    const firings = Array.from({ length: 12 }, (_, i) => ({ runs: runs[i % runs.length]!, at: new Date(tick + (i % 2 ? 1 : -1) * (i * 7)) }));
    const won = await Promise.all(firings.map((f) => f.runs.claim('reconcile', '0 3 * * *', f.at)));
    expect(won.filter(Boolean)).toHaveLength(1);
    // The next tick is a new claim; another job's tick at the same minute is its own.
    expect(await runs[0]!.claim('reconcile', '0 3 * * *', new Date(tick + 86_400_000))).toBe(true);
    expect(await runs[runs.length - 1]!.claim('trial-expiry', '*/5 * * * *', new Date(tick))).toBe(true);
    const rows = await query<{ job: string; instance: string }>(apps[0]!.app, 'select job, instance from scheduled_runs order by job, tick_at');
    expect(rows.map((r) => r.job)).toEqual(['reconcile', 'reconcile', 'trial-expiry']);
    expect(rows.every((r) => r.instance.endsWith(`:${process.pid}`))).toBe(true);
  });

  it('rounds a firing to its cron unit: minutes, or seconds for six-field expressions', () => {
    expect(scheduledTick('*/5 * * * *', new Date('2026-11-30T03:04:59.990Z')).toISOString()).toBe('2026-11-30T03:05:00.000Z');
    expect(scheduledTick('0 3 * * *', new Date('2026-11-30T03:00:00.020Z')).toISOString()).toBe('2026-11-30T03:00:00.000Z');
    expect(scheduledTick('*/10 * * * * *', new Date('2026-11-30T03:00:09.995Z')).toISOString()).toBe('2026-11-30T03:00:10.000Z');
  });
});
