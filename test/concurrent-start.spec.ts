import { createTestDatabase, usingPostgres, type TestDatabase } from './support/test-database.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * Instances rolled out together on an empty PostgreSQL database all start: the migrations run once,
 * under a lock, and the others wait for them (README, Deployment). PGlite is one process: there a
 * single start is checked.
 */
describe('instances starting together on one database', () => {
  let database: TestDatabase | undefined;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await database?.drop();
  });

  it(usingPostgres() ? 'three instances on an empty database all start and answer' : 'an instance starts and answers', async () => {
    const count = usingPostgres() ? 3 : 1;
    const started = await Promise.allSettled(Array.from({ length: count }, () => startTestApp({}, {}, database ? { databaseUrl: database.url } : {})));
    for (const result of started) if (result.status === 'fulfilled') apps.push(result.value);
    expect(started.map((r) => (r.status === 'rejected' ? String((r.reason as Error).message).slice(0, 200) : 'started'))).toEqual(Array(count).fill('started'));
    for (const app of apps) {
      const health = await app.http().get('/health');
      expect(health.status).toBe(200);
    }
  });
});
