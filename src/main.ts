import { enableCompileCache } from 'node:module';
import { constants } from 'node:os';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError, loadConfig, usesDevelopmentDefaults, type AppConfig } from './infra/config/config.js';

/**
 * `npm start`. With no configuration it runs the whole product on one machine: embedded PGlite and,
 * without a Stripe key, the bundled Stripe emulator with a demo catalog. With DATABASE_URL and
 * STRIPE_SECRET_KEY, the same command runs against real PostgreSQL and Stripe.
 */

/** How long the billing page's token in the banner lasts: a development token, for a session of trying things. */
const BANNER_TOKEN_TTL_DAYS = 30;
/** The account the banner's billing page is for. */
const DEMO_ACCOUNT = 'DEMO';

// Node keeps the compiled code of the modules below between starts (in the system's temporary
// folder): about a third of what loading them costs. Enabled before the first dynamic import.
enableCompileCache?.();

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  // Loaded only once the configuration is known to be good, so that a bad one fails in an instant.
  const [{ createApp }, { databaseKind }, { startLocalStripe, StartupError }, localMode, { mintDevToken }, { MetricsServer }] = await Promise.all([
    import('./bootstrap.js'),
    import('./infra/database/orm-options.js'),
    import('./local-stripe.js'),
    import('./local-mode.js'),
    import('./cli/dev-token.js'),
    import('./infra/metrics/metrics-server.js'),
  ]);
  let app: NestFastifyApplication | undefined;
  try {
    const local = config.STRIPE_SECRET_KEY ? undefined : await startLocalStripe(config);
    const database = await localMode.prepareEmbeddedDatabase(local?.config ?? config);
    if (database.temporaryDir) removeAtExit(database.temporaryDir, () => app);
    app = await createApp(database.config, local?.clock ? { clock: local.clock } : {}).catch((error: unknown) => {
      // The metrics listener is the only socket createApp opens (METRICS_PORT).
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new StartupError(`METRICS_PORT ${config.METRICS_PORT} is already in use: set METRICS_PORT to a free port, or leave it empty to serve /metrics on PORT`);
      throw error;
    });
    await app.listen(config.PORT, config.HOST).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new StartupError(`PORT ${config.PORT} is already in use (another npm start?): stop that process, or set PORT to a free port`);
      }
      throw error;
    });
    const port = (app.getHttpServer().address() as { port: number }).port;
    const base = `http://localhost:${port}`;
    const applicationId = config.DEFAULT_APPLICATION_ID;
    if (local) {
      const reachable = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1').replace('localhost', '127.0.0.1');
      await localMode.connectWebhookEndpoint(app, reachable, applicationId);
    }
    const forgotten = local?.embedded ? await localMode.forgetPreviousEmulator(app) : undefined;
    const development = config.NODE_ENV !== 'production';
    if (development) await localMode.allowOwnOrigins(app, applicationId, port);
    const demo = local && config.LOCAL_DEMO_CATALOG ? await localMode.ensureDemoCatalog(app, applicationId) : undefined;

    const ownerToken =
      development && config.JWT_SECRET && !config.JWT_JWKS_URL
        ? await mintDevToken(config, { acc: DEMO_ACCOUNT, roles: [config.JWT_OWNER_ROLE], ttl: BANNER_TOKEN_TTL_DAYS * 86400 })
        : undefined;
    const pglite = databaseKind(config) === 'pglite';
    const label = (name: string, value: string) => `  ${name.padEnd(13)} ${value}`;
    const lines = [
      local
        ? `Billing service in local mode: ${pglite ? 'embedded PGlite and ' : ''}${local.embedded ? 'the bundled Stripe emulator' : 'a Stripe emulator'}; no real money moves`
        : 'Billing service',
      label('API', base),
      label('API docs', `${base}/docs`),
      ownerToken
        ? label('Billing page', `${base}/billing#token=${ownerToken}`) + `   (owner of account ${DEMO_ACCOUNT}; the token lasts ${BANNER_TOKEN_TTL_DAYS} days)`
        : label('Billing page', `${base}/billing#token=<an owner's account token>`),
      label('Stripe', stripeLine(config, local)),
      label('Metrics', config.METRICS_PORT === null ? `${base}/metrics (with the admin token)` : `http://localhost:${app.get(MetricsServer).port}/metrics (METRICS_PORT)`),
    ];
    if (local) lines.push(label('', 'pay on its checkout page with the test card 4242 4242 4242 4242'));
    if (demo) lines.push(label('Demo catalog', `${demo.product.name}: ${demo.prices.map((p) => `${money(p.unit_amount, p.currency)} a ${p.interval} (${p.id})`).join(', ')}`));
    lines.push(
      label(
        'Database',
        !pglite ? 'PostgreSQL (DATABASE_URL)' : config.DATA_DIR ? `embedded PGlite in ${resolve(config.DATA_DIR)}` : 'embedded PGlite, temporary: lost at exit (set DATA_DIR to keep it)',
      ),
    );
    if (forgotten && forgotten.customers > 0) {
      lines.push(label('', `the emulator started empty: what was bought on it before is gone here too (customers: ${forgotten.customers}, subscriptions: ${forgotten.subscriptions})`));
    }
    if (development) {
      lines.push(label('Admin token', `${database.config.ADMIN_TOKEN}   (npm run admin -- help; npm run reconcile)`));
      if (ownerToken) lines.push(label('Tokens', 'npm run token -- --acc ACME --role owner'));
    }
    if (usesDevelopmentDefaults(config)) {
      lines.push('DEVELOPMENT DEFAULTS: the JWT secret and the admin token are public development values. Never expose this instance.');
    }
    process.stdout.write(`\n${'='.repeat(78)}\n${lines.join('\n')}\n${'='.repeat(78)}\n\n`);
  } catch (error) {
    if (error instanceof StartupError) fail(error.message);
    throw error;
  }
}

/** Where the service's Stripe calls go; never a real key. */
function stripeLine(config: AppConfig, local: { embedded: boolean; url: string; secretKey: string } | undefined): string {
  if (local?.embedded) return `the bundled Stripe emulator at ${local.url}, secret key ${local.secretKey} (EMULATOR_PORT)`;
  if (local) return `the Stripe emulator at ${local.url} (STRIPE_API_BASE), secret key ${local.secretKey}`;
  const mode = config.STRIPE_SECRET_KEY.includes('_live_') ? 'live mode' : 'test mode';
  return config.STRIPE_API_BASE ? `${config.STRIPE_API_BASE} (STRIPE_API_BASE), ${mode}` : `api.stripe.com, ${mode}`;
}

/** An amount in the smallest unit as people write it: ¥1,000, $12.50. */
function money(amount: number, currency: string): string {
  const format = new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}

/**
 * The temporary database is removed when the process ends: at exit, and on a signal once Nest has
 * shut the application down (Nest re-raises the signal after its shutdown; this handler stays
 * registered so that the process ends here, after the removal, with the signal's usual code).
 */
function removeAtExit(dir: string, app: () => NestFastifyApplication | undefined): void {
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void Promise.resolve(app()?.close())
        .catch(() => undefined)
        .finally(() => process.exit(128 + constants.signals[signal]));
    });
  }
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

void main().catch((error: unknown) => {
  process.stderr.write(`Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
