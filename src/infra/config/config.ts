import { CONFIG_SCHEMA, type AppConfig, type ConfigKey } from './config.schema.js';

export type { AppConfig } from './config.schema.js';

/** Insecure values that make `npm start` work with no configuration at all; refused in production. */
export const DEVELOPMENT_DEFAULTS = {
  JWT_SECRET: 'dev-only-insecure-jwt-secret-do-not-use-in-production',
  ADMIN_TOKEN: 'dev-only-insecure-admin-token',
} as const;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates every variable at once so that one start-up names all the problems.
 * Throws ConfigError; `main.ts` prints its message as one line and exits.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const config = {} as Record<ConfigKey, unknown>;
  for (const key of Object.keys(CONFIG_SCHEMA) as ConfigKey[]) {
    const spec = CONFIG_SCHEMA[key];
    const raw = env[key] ?? spec.default;
    try {
      config[key] = spec.parse(raw.trim());
    } catch (error) {
      problems.push(`${key} ${(error as Error).message}`);
    }
  }
  if (problems.length === 0) problems.push(...crossFieldProblems(config as AppConfig));
  if (problems.length > 0) throw new ConfigError(problems);
  return applyDevelopmentDefaults(config as AppConfig);
}

function crossFieldProblems(config: AppConfig): string[] {
  const problems: string[] = [];
  if (config.JWT_SECRET && config.JWT_JWKS_URL) problems.push('JWT_SECRET and JWT_JWKS_URL are exclusive: set one');
  // Node refuses a headers timeout longer than the request's; a quiet connection must outlast a request waiting on Stripe.
  if (config.HTTP_HEADERS_TIMEOUT_MS > config.HTTP_REQUEST_TIMEOUT_MS) problems.push('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  if (config.HTTP_IDLE_TIMEOUT_MS > 0 && config.HTTP_IDLE_TIMEOUT_MS <= config.STRIPE_REQUEST_DEADLINE_MS) problems.push('HTTP_IDLE_TIMEOUT_MS must be 0 or longer than STRIPE_REQUEST_DEADLINE_MS');
  if (config.DATABASE_REPLICA_URLS.length > 0 && !config.DATABASE_URL) problems.push('DATABASE_REPLICA_URLS needs DATABASE_URL (the primary); PGlite has no replicas');
  if (config.METRICS_PORT !== null && config.METRICS_PORT !== 0 && config.METRICS_PORT === config.PORT) problems.push('METRICS_PORT must differ from PORT (leave it empty to serve /metrics on PORT)');
  if (config.NODE_ENV === 'production') {
    if (!config.DATABASE_URL) problems.push('DATABASE_URL is required in production');
    if (!config.STRIPE_SECRET_KEY) problems.push('STRIPE_SECRET_KEY is required in production');
    if (!config.ADMIN_TOKEN) problems.push('ADMIN_TOKEN is required in production');
    if (!config.JWT_SECRET && !config.JWT_JWKS_URL) problems.push('JWT_SECRET or JWT_JWKS_URL is required in production');
  }
  return problems;
}

function applyDevelopmentDefaults(config: AppConfig): AppConfig {
  if (config.NODE_ENV === 'production') return config;
  return {
    ...config,
    JWT_SECRET: config.JWT_SECRET || (config.JWT_JWKS_URL ? '' : DEVELOPMENT_DEFAULTS.JWT_SECRET),
    ADMIN_TOKEN: config.ADMIN_TOKEN || DEVELOPMENT_DEFAULTS.ADMIN_TOKEN,
  };
}

/** Whether the process runs on insecure development defaults (the start-up banner says so). */
export function usesDevelopmentDefaults(config: AppConfig): boolean {
  return config.JWT_SECRET === DEVELOPMENT_DEFAULTS.JWT_SECRET || config.ADMIN_TOKEN === DEVELOPMENT_DEFAULTS.ADMIN_TOKEN;
}
