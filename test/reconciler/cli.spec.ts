import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmulator, type RunningEmulator } from '@billing/stripe-emulator';
import { runBuilt } from '../support/spawn.js';
import { TEST_ADMIN_TOKEN, TEST_JWT_SECRET } from '../support/test-app.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/test-database.js';

const ENTRY = 'dist/scripts/reconcile.js';
const SEEDED = 150;

/**
 * Issue 7, `npm run reconcile`: the built command against a database of its own and a running
 * emulator prints the recorded run as JSON on stdout and its progress on stderr; exit 0 when the
 * run succeeded, 1 when it was refused or failed.
 */
describe(`npm run reconcile on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite (DATA_DIR)'}`, () => {
  let emulator: RunningEmulator;
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    database = await createTestDatabase();
    if (!database) dataDir = mkdtempSync(join(tmpdir(), 'reconcile-cli-'));
    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: database?.url ?? '',
      DATA_DIR: dataDir ?? '',
      STRIPE_SECRET_KEY: emulator.secretKey,
      STRIPE_API_BASE: emulator.url,
    };
    const res = await fetch(`${emulator.url}/_emulator/seed`, { method: 'POST', headers: { authorization: `Bearer ${emulator.secretKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ count: SEEDED }) });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await emulator.stop();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  afterEach(() => emulator.clearFaults());

  const reconcile = (...args: string[]) => runBuilt(ENTRY, args, env);

  it('prints the run as JSON on stdout and its progress on stderr, exit 0; the next run finds everything unchanged', async () => {
    const first = await reconcile();
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: expect.stringContaining(`${SEEDED}/${SEEDED} subscriptions`) });
    expect(first.stderr).toMatch(/^reconcile platform \[[█·]{30}\] /m);
    expect(first.stderr).toMatch(/\d+ Stripe calls/);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'succeeded', scope: 'platform', trigger: 'cli', created: SEEDED, updated: 0, error: null });

    // The mirror lasted: the second run (a new process) finds it as Stripe has it.
    const second = await reconcile('--allow-deletes');
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ status: 'succeeded', allow_deletes: true, created: 0, updated: 0, unchanged: SEEDED, deleted: 0 });
  });

  it('exit 1 with the failed run on stdout when Stripe fails the listing', async () => {
    emulator.setFaults({ api: [{ path: '/v1/subscriptions', method: 'GET', status: 500 }] });
    const result = await reconcile();
    expect(result.code).toBe(1);
    const run = JSON.parse(result.stdout);
    expect(run).toMatchObject({ status: 'failed', trigger: 'cli' });
    expect(run.error).toMatch(/^stripe_unavailable: /);
  });

  it('exit 1, one error line and nothing on stdout when the run is refused', async () => {
    const unknown = await reconcile('--merchant', 'no-such-shop');
    expect(unknown).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: merchant_not_found: [^\n]+\n$/) });
    if (database) {
      // Another instance is reconciling the platform: it holds the advisory lock.
      const other = new pg.Client({ connectionString: database.url });
      await other.connect();
      try {
        await other.query('select pg_advisory_lock(hashtext($1))', ['reconcile:platform']);
        const refused = await reconcile();
        expect(refused).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: reconcile_running: [^\n]+\n$/) });
      } finally {
        await other.end();
      }
    }
  });
});
