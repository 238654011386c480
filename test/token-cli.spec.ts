import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { jwtVerify } from 'jose';
import { DEVELOPMENT_DEFAULTS } from '../src/infra/config/config.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'token-cli-secret-that-is-long-enough-0123456789';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built script with only the environment given (plus PATH), as `npm run token` does. */
async function token(args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['dist/scripts/token.js', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const verify = (jwt: string, secret: string) => jwtVerify(jwt, new TextEncoder().encode(secret), { algorithms: ['HS256'] });

describe('npm run token', () => {
  // dist/ is built once for the whole suite by Jest's globalSetup.
  it('prints only a token signed with JWT_SECRET, carrying the account, role and application', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await token(['--acc', 'ACME', '--role', 'owner', '--app', 'default'], { JWT_SECRET: SECRET });
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const { payload, protectedHeader } = await verify(res.stdout.trim(), SECRET);
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({ acc: 'ACME', role: 'owner', app: 'default' });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.exp! - payload.iat!).toBe(3600);
    await expect(verify(res.stdout.trim(), 'some-other-secret-that-is-long-enough-0123')).rejects.toThrow();
  });

  it('uses the configured claim names, several roles, extra claims, the ttl, and iss/aud when configured', async () => {
    const env = { JWT_SECRET: SECRET, JWT_ACCOUNT_CLAIM: 'company_id', JWT_ROLE_CLAIM: 'roles', JWT_APPLICATION_CLAIM: 'client', JWT_ISSUER: 'https://id.example.com/', JWT_AUDIENCE: 'billing' };
    const res = await token(['--acc', 'C-42', '--role', 'member', '--role', 'owner', '--app', 'inbox', '--ttl', '120', '--claims', '{"email":"a@example.com","company_id":"ignored"}'], env);
    expect(res.code).toBe(0);
    const { payload } = await jwtVerify(res.stdout.trim(), new TextEncoder().encode(SECRET), { issuer: 'https://id.example.com/', audience: 'billing' });
    expect(payload).toMatchObject({ company_id: 'C-42', roles: ['member', 'owner'], client: 'inbox', email: 'a@example.com' });
    expect(payload).not.toHaveProperty('acc');
    expect(payload.exp! - payload.iat!).toBe(120);
  });

  it('signs with the development default the service uses when no JWT_SECRET is set', async () => {
    const res = await token(['--acc', 'ACME'], {});
    expect(res.code).toBe(0);
    const { payload } = await verify(res.stdout.trim(), DEVELOPMENT_DEFAULTS.JWT_SECRET);
    expect(payload.acc).toBe('ACME');
    expect(payload).not.toHaveProperty('role');
    expect(payload).not.toHaveProperty('app');
  });

  it('refuses to run in production, with one line and no token', async () => {
    for (const env of [{ NODE_ENV: 'production', JWT_SECRET: SECRET }, { NODE_ENV: 'production' }] as Array<Record<string, string>>) {
      const res = await token(['--acc', 'ACME', '--role', 'owner'], env);
      expect(res.code).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(/^error: refused: NODE_ENV is production[^\n]*\n$/);
    }
  });

  it('refuses to run when tokens come from a JWKS', async () => {
    const res = await token(['--acc', 'ACME', '--role', 'owner'], { JWT_JWKS_URL: 'https://id.example.com/.well-known/jwks.json' });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^error: refused: JWT_JWKS_URL is set[^\n]*\n$/);
  });

  it('explains bad arguments and bad configuration in one line', async () => {
    const cases: Array<[string[], Record<string, string>, number, RegExp]> = [
      [['--role', 'owner'], {}, 2, /--acc is required/],
      [['--acc', 'ACME', '--ttl', '-5'], {}, 2, /--ttl/],
      [['--acc', 'ACME', '--ttl', 'soon'], {}, 2, /--ttl must be a whole number/],
      [['--acc', 'ACME', '--claims', '[1]'], {}, 2, /--claims must be a JSON object/],
      [['--acc', 'ACME', '--claims', '{oops'], {}, 2, /--claims must be a JSON object/],
      [['--acc', 'ACME', '--bogus'], {}, 2, /--bogus/],
      [['--acc', 'ACME'], { JWT_SECRET: 'too-short' }, 1, /JWT_SECRET must be at least 32 characters/],
    ];
    for (const [args, env, code, message] of cases) {
      const res = await token(args, env);
      expect({ args, code: res.code, stdout: res.stdout, lines: res.stderr.trimEnd().split('\n').length }).toEqual({ args, code, stdout: '', lines: 1 });
      expect(res.stderr).toMatch(message);
    }
  });

  it('prints its usage with --help', async () => {
    const res = await token(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Usage: npm run -s token -- --acc ACCOUNT_ID');
  });
});
