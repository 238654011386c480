import { ConfigError, loadConfig, usesDevelopmentDefaults, type AppConfig } from './infra/config/config.js';

/**
 * `npm start`. With no configuration it runs the whole product on one machine: embedded PGlite and,
 * without a Stripe key, the bundled Stripe emulator. With DATABASE_URL and STRIPE_SECRET_KEY, the
 * same command runs against real PostgreSQL and Stripe.
 */
async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // Loaded only once the configuration is known to be good, so that a bad one fails in an instant.
  const [{ createApp }, { databaseKind }, { startLocalStripe }, { connectWebhookEndpoint }] = await Promise.all([
    import('./bootstrap.js'),
    import('./infra/database/orm-options.js'),
    import('./local-stripe.js'),
    import('./local-mode.js'),
  ]);
  const local = config.STRIPE_SECRET_KEY ? undefined : await startLocalStripe(config);
  const app = await createApp(local?.config ?? config, local ? { clock: local.clock } : {});
  await app.listen(config.PORT, config.HOST);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('0.0.0.0', 'localhost');
  if (local?.embedded) await connectWebhookEndpoint(app, url.replace('localhost', '127.0.0.1'), config.DEFAULT_APPLICATION_ID);

  const lines = [
    `Billing service listening on ${url} (API docs: ${url}/docs)`,
    `Database: ${databaseKind(config) === 'pglite' ? `embedded PGlite (${config.DATA_DIR || 'in memory: data is lost at exit'})` : 'PostgreSQL'}`,
    local ? `Stripe: THE BUNDLED STRIPE EMULATOR at ${local.config.STRIPE_API_BASE} (no real money moves; pay on its checkout page with 4242 4242 4242 4242)` : 'Stripe: api.stripe.com',
  ];
  if (usesDevelopmentDefaults(config)) {
    lines.push('DEVELOPMENT DEFAULTS: JWT secret and admin token are the public development values. Never expose this instance.');
    lines.push('Mint an account token with: npm run token -- --acc ACME --role owner');
  }
  process.stdout.write(`\n${'='.repeat(78)}\n${lines.join('\n')}\n${'='.repeat(78)}\n\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
