import { userInfo } from 'node:os';
import { runBuilt } from '../support/spawn.js';
import { startStack, type Stack } from '../support/stack.js';
import { TEST_ADMIN_TOKEN, TEST_JWT_SECRET } from '../support/test-app.js';
import { usingPostgres } from '../support/test-database.js';

/**
 * `npm run admin` (the built script, as a user runs it) against a running service: its mutations
 * are recorded as the admin at the CLI, with the shell's user, and `audit list` reads the trail
 * with the API's filters and refusals, printing no secret.
 */
describe(`npm run admin and the audit trail on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let t: Stack;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await startStack();
    env = { NODE_ENV: 'test', ADMIN_TOKEN: TEST_ADMIN_TOKEN, JWT_SECRET: TEST_JWT_SECRET, SERVICE_URL: t.baseUrl };
  });
  afterAll(() => t?.close());

  const admin = (...args: string[]) => runBuilt('dist/scripts/admin.js', args, env);
  const ok = async (...args: string[]) => {
    const result = await admin(...args);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    return { json: JSON.parse(result.stdout), stdout: result.stdout };
  };

  it('records CLI mutations with channel cli and the operator, and lists them without secrets', async () => {
    const application = (await ok('applications', 'create', '--id', 'cli-audit', '--name', 'CLI audit', '--merchant', 'platform')).json;
    const rotated = (await ok('applications', 'rotate-secret', 'cli-audit')).json;
    const key = (await ok('keys', 'issue', 'cli-audit', '--name', 'partner')).json;
    const secrets = [application.webhook_secret, rotated.secret, key.key, TEST_ADMIN_TOKEN, t.emulator.secretKey];

    const listed = await ok('audit', 'list', '--application', 'cli-audit');
    expect(listed.json.data.map((r: { action: string }) => r.action)).toEqual(['api-key.issue', 'application.rotate-secret', 'application.create']);
    for (const record of listed.json.data) {
      expect(record).toMatchObject({ actor_type: 'admin', actor_id: 'admin', channel: 'cli', operator: userInfo().username, application_id: 'cli-audit', outcome: 'success' });
    }
    for (const secret of secrets) expect(listed.stdout).not.toContain(secret);

    const page = await ok('audit', 'list', '--application', 'cli-audit', '--limit', '2', '--cursor', listed.json.data[0].id, '--from', listed.json.data[2].occurred_at);
    expect(page.json).toEqual({ data: listed.json.data.slice(1), next_cursor: null });

    expect(await admin('audit', 'list', '--from', 'yesterday')).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: validation_failed: --from: [^\n]+\n$/) });
  });
});
