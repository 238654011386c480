import { rmSync } from 'node:fs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SignJWT } from 'jose';
import supertest from 'supertest';
import type { AppModuleOptions } from '../../src/app.module.js';
import { createApp } from '../../src/bootstrap.js';
import { prepareEmbeddedDatabase } from '../../src/local-mode.js';
import { loadConfig, type AppConfig } from '../../src/infra/config/config.js';
import { createTestDatabase } from './test-database.js';

export const TEST_JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** supertest against the running HTTP server */
  http: () => supertest.Agent;
  baseUrl: string;
  /** Every route the HTTP server registered (Fastify's onRoute), as `{ method, url }`. */
  routes: { method: string; url: string }[];
  admin: (req: supertest.Test) => supertest.Test;
  close(): Promise<void>;
}

export interface TestAppPlacement {
  /**
   * Runs on this PostgreSQL database (another test app's `config.DATABASE_URL`) instead of a fresh
   * one, as a second instance of the same deployment would; the database is not dropped on close.
   */
  databaseUrl?: string;
}

/** The PGlite copies of this process's open test apps: removed at close, and at exit those a test left open. */
const openCopies = new Set<string>();
function removeCopy(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  openCopies.delete(dir);
}
process.once('exit', () => [...openCopies].forEach(removeCopy));

/**
 * Boots the real application (real HTTP server, real migrations) on a database of its own:
 * a fresh PostgreSQL database when DATABASE_URL is set, otherwise embedded PGlite as `npm start`
 * runs it (a temporary copy of the migrated template; DATA_DIR in `env` opens that folder instead).
 */
export async function startTestApp(env: Record<string, string> = {}, options: AppModuleOptions = {}, placement: TestAppPlacement = {}): Promise<TestApp> {
  const database = placement.databaseUrl ? { url: placement.databaseUrl, drop: async () => undefined } : await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: TEST_JWT_SECRET,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    DATABASE_URL: database?.url ?? '',
    DATABASE_POOL_MAX: '4',
    ...env,
  });
  // On PGlite, as `npm start` does (src/local-mode.ts): a copy of the migrated template cluster,
  // removed on close, instead of initdb and every migration in WASM on each start (~3 s each, a
  // quarter of the PGlite suite). The migrations from an empty database stay covered by migrations.spec.
  const embedded = !config.DATABASE_URL && !config.DATA_DIR ? await prepareEmbeddedDatabase(config) : { config };
  if (embedded.temporaryDir) openCopies.add(embedded.temporaryDir);
  const app = await createApp(embedded.config, options);
  const routes: { method: string; url: string }[] = [];
  app.getHttpAdapter().getInstance().addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  await app.listen(0, '127.0.0.1');
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const agent = supertest.agent(app.getHttpServer());
  return {
    app,
    config: embedded.config,
    baseUrl,
    routes,
    http: () => agent,
    admin: (req) => req.set('authorization', `Bearer ${config.ADMIN_TOKEN}`),
    async close() {
      await app.close();
      await database?.drop();
      if (embedded.temporaryDir) removeCopy(embedded.temporaryDir);
    },
  };
}

/** An HS256 account token signed with the test secret. */
export async function accountToken(claims: Record<string, unknown>, options: { secret?: string; expiresIn?: string | number } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h')
    .sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}
