import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_SCHEMA } from '../src/infra/config/config.schema.js';
import { loadConfig } from '../src/infra/config/config.js';
import { REPO_ROOT, runBuilt } from './support/spawn.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:1/never',
  STRIPE_SECRET_KEY: 'sk_test_abcdef123456',
  ADMIN_TOKEN: 'admin-token-long-enough-123456',
  JWT_SECRET: 'a-jwt-secret-that-is-at-least-32-chars',
};
const withoutKey = (key: keyof typeof PRODUCTION) => Object.fromEntries(Object.entries(PRODUCTION).filter(([k]) => k !== key));

describe('configuration at start-up', () => {
  const start = (env: Record<string, string>) => runBuilt('dist/src/main.js', [], env);

  it.each([
    ['DATABASE_URL', withoutKey('DATABASE_URL')],
    ['STRIPE_SECRET_KEY', withoutKey('STRIPE_SECRET_KEY')],
    ['ADMIN_TOKEN', withoutKey('ADMIN_TOKEN')],
    ['JWT_SECRET or JWT_JWKS_URL', withoutKey('JWT_SECRET')],
  ])('stops with one line naming %s when it is missing in production', async (name, env) => {
    const result = await start(env as Record<string, string>);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(lines[0]).toMatch(/^Invalid configuration: /);
    expect(result.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
  });

  it.each([
    ['PORT', 'not-a-port'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://root@localhost/db'],
    ['STRIPE_SECRET_KEY', 'pk_test_123'],
    ['JWT_SECRET', 'short'],
    ['ADMIN_TOKEN', 'short'],
    ['LOG_LEVEL', 'loud'],
    ['BODY_LIMIT', 'huge'],
    ['WEBHOOK_TOLERANCE_SECONDS', '-5'],
    ['JWT_JWKS_URL', 'not a url'],
    ['DEFAULT_APPLICATION_ID', 'Not An Id'],
    ['NODE_ENV', 'staging'],
    ['EMULATOR_PORT', '99999'],
    ['LOCAL_DEMO_CATALOG', 'maybe'],
    ['SERVICE_URL', 'ftp://billing.internal'],
    ['METRICS_PORT', '99999'],
    ['THROTTLE_STORE', 'redis'],
    ['THROTTLE_ACCOUNT_LIMIT', '-1'],
    ['AUTH_FAILURE_WINDOW_SECONDS', '0'],
    ['TRUST_PROXY', 'the load balancer'],
  ])('stops with one line naming %s when it is malformed (%s)', async (key, value) => {
    const result = await start({ ...PRODUCTION, [key]: value });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(key);
    // The bad value of a secret is never echoed back.
    if (['JWT_SECRET', 'ADMIN_TOKEN', 'STRIPE_SECRET_KEY', 'DATABASE_URL'].includes(key)) expect(lines[0]).not.toContain(value);
  });

  it('names every problem at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT .*; LOG_LEVEL /);
  });

  it('refuses a secret and a JWKS URL together', () => {
    expect(() => loadConfig({ JWT_SECRET: 'x'.repeat(40), JWT_JWKS_URL: 'https://id.example.com/jwks.json' })).toThrow(/exclusive/);
  });

  it('serves /metrics on PORT unless METRICS_PORT names another port', () => {
    expect(loadConfig({}).METRICS_PORT).toBeNull();
    expect(loadConfig({ METRICS_PORT: '9464' }).METRICS_PORT).toBe(9464);
    expect(() => loadConfig({ PORT: '3000', METRICS_PORT: '3000' })).toThrow(/METRICS_PORT must differ from PORT/);
    expect(() => loadConfig({ METRICS_PORT: 'metrics' })).toThrow(/METRICS_PORT must be a whole number/);
  });

  it('runs with no configuration at all on development defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, NODE_ENV: 'development', DATABASE_URL: '', DEFAULT_APPLICATION_ID: 'default', BODY_LIMIT: 1024 * 1024 });
    // Local mode: the emulator on a port known in advance, a demo catalog, the CLIs calling this service.
    expect(config).toMatchObject({ EMULATOR_PORT: 12111, LOCAL_DEMO_CATALOG: true, SERVICE_URL: '' });
    expect(config.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
  });

  it('reads TRUST_PROXY as Fastify takes it: a boolean, a hop count, or addresses and CIDR ranges', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).TRUST_PROXY).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
  });

  it('limits requests by default, counted in PostgreSQL, generous to the partner lookup and the webhook intake', () => {
    expect(loadConfig({})).toMatchObject({ THROTTLE_STORE: 'postgres', THROTTLE_WINDOW_SECONDS: 60, THROTTLE_ACCOUNT_LIMIT: 600, THROTTLE_PARTNER_LIMIT: 300000, THROTTLE_IP_LIMIT: 300, THROTTLE_WEBHOOK_LIMIT: 20000, AUTH_FAILURE_LIMIT: 10, AUTH_FAILURE_WINDOW_SECONDS: 60 });
  });

  it('documents every variable in .env.example with its default', () => {
    const example = readFileSync(join(REPO_ROOT, '.env.example'), 'utf8');
    const documented = new Map(
      example
        .split('\n')
        .map((line) => /^#?\s*([A-Z][A-Z0-9_]+)=(.*)$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, m[2]!.trim()]),
    );
    for (const [key, spec] of Object.entries(CONFIG_SCHEMA)) {
      expect({ key, documented: documented.has(key) }).toEqual({ key, documented: true });
      expect({ key, default: documented.get(key) }).toEqual({ key, default: spec.default });
    }
    expect([...documented.keys()].filter((k) => !(k in CONFIG_SCHEMA))).toEqual([]);
  });
});
