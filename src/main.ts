import { ConfigError, loadConfig, usesDevelopmentDefaults } from './infra/config/config.js';

/**
 * `npm start`. With no configuration it runs the whole product on one machine (embedded PGlite);
 * with DATABASE_URL and STRIPE_SECRET_KEY, the same command runs against real PostgreSQL and Stripe.
 */
async function main(): Promise<void> {
  let config;
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
  const [{ createApp }, { databaseKind }] = await Promise.all([import('./bootstrap.js'), import('./infra/database/orm-options.js')]);
  const app = await createApp(config);
  await app.listen(config.PORT, config.HOST);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('0.0.0.0', 'localhost');
  const lines = [
    `Billing service listening on ${url} (API docs: ${url}/docs)`,
    `Database: ${databaseKind(config) === 'pglite' ? `embedded PGlite (${config.DATA_DIR || 'in memory: data is lost at exit'})` : 'PostgreSQL'}`,
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
