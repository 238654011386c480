import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runBuilt } from '../support/spawn.js';
import { startStack, type Stack } from '../support/stack.js';
import { TEST_ADMIN_TOKEN, TEST_JWT_SECRET } from '../support/test-app.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/test-database.js';

const ENTRY = 'dist/scripts/reconcile.js';
const SEEDED = 150;

/**
 * `npm run reconcile` (the built command, as a user runs it) against a running service: the real
 * application listening on a port with the emulator as its Stripe. The command starts a run through
 * the admin API and follows it, so the run uses the service's own Stripe and database (no key or
 * database of its own); it prints the recorded run as JSON on stdout and its progress on stderr;
 * exit 0 when the run succeeded, 1 when it was refused or failed.
 */
describe(`npm run reconcile against a running service on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let t: Stack;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await startStack();
    // What a user's shell has: the service's URL and admin token; no Stripe key, no database.
    env = { NODE_ENV: 'test', ADMIN_TOKEN: TEST_ADMIN_TOKEN, JWT_SECRET: TEST_JWT_SECRET, SERVICE_URL: t.baseUrl };
    const res = await fetch(`${t.emulator.url}/_emulator/seed`, { method: 'POST', headers: { authorization: `Bearer ${t.emulator.secretKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ count: SEEDED }) });
    expect(res.status).toBe(200);
  });
  afterAll(() => t?.close());
  afterEach(() => t.emulator.clearFaults());

  const reconcile = (...args: string[]) => runBuilt(ENTRY, args, env);

  it('prints the run as JSON on stdout and its progress on stderr, exit 0; the next run finds everything unchanged', async () => {
    const first = await reconcile();
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/^reconcile platform · running · [\d.]+ s\n/) });
    expect(first.stderr).toMatch(new RegExp(`^reconcile platform · succeeded in [\\d.]+ s · ${SEEDED} subscriptions listed: ${SEEDED} created, 0 updated, 0 unchanged, 0 deleted, 0 flagged · \\d+ Stripe calls$`, 'm'));
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'succeeded', scope: 'platform', created: SEEDED, updated: 0, error: null });

    // The service's mirror holds them: the run was the service's own.
    const runs = await t.admin(t.http().get('/admin/reconcile-runs')).expect(200);
    expect(runs.body.data[0]).toMatchObject({ id: JSON.parse(first.stdout).id, created: SEEDED });

    const second = await reconcile('--allow-deletes');
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ status: 'succeeded', allow_deletes: true, created: 0, updated: 0, unchanged: SEEDED, deleted: 0 });
  });

  it('exit 1 with the failed run on stdout when Stripe fails the listing', async () => {
    t.emulator.setFaults({ api: [{ path: '/v1/subscriptions', method: 'GET', status: 500 }] });
    const result = await reconcile();
    expect(result.code).toBe(1);
    const run = JSON.parse(result.stdout);
    expect(run).toMatchObject({ status: 'failed' });
    expect(run.error).toMatch(/^stripe_unavailable: /);
    expect(result.stderr).toMatch(/^reconcile platform · failed in /m);
  });

  it('exit 1, one error line and nothing on stdout when the run is refused', async () => {
    const unknown = await reconcile('--merchant', 'no-such-shop');
    expect(unknown).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: merchant_not_found: [^\n]+\n$/) });
    const usage = await reconcile('--merchnt', 'x');
    expect(usage).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^error: usage: unknown flag --merchnt \(see --help\)\n$/) });
    if (usingPostgres()) {
      // Another instance is reconciling the platform: it holds the advisory lock.
      const other = new pg.Client({ connectionString: t.config.DATABASE_URL });
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

  it('runs in its own process with --direct, on a database of its own', async () => {
    const database: TestDatabase | undefined = await createTestDatabase();
    const dataDir = database ? undefined : mkdtempSync(join(tmpdir(), 'reconcile-cli-'));
    try {
      const result = await runBuilt(ENTRY, ['--direct'], {
        ...env,
        DATABASE_URL: database?.url ?? '',
        DATA_DIR: dataDir ?? '',
        STRIPE_SECRET_KEY: t.emulator.secretKey,
        STRIPE_API_BASE: t.emulator.url,
        LOG_LEVEL: 'silent',
      });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 'succeeded', created: SEEDED });
    } finally {
      await database?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
