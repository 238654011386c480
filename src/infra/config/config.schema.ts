import { validateCronExpression } from 'cron';
import { ID_PATTERN } from '../ids.js';

/**
 * Every environment variable the service reads, with its meaning and default.
 * `.env.example` documents the same list; `test/config.spec.ts` checks the two agree.
 * Nothing else in the code base reads `process.env`.
 */
export interface VariableSpec {
  description: string;
  default?: string;
  /** Parses the raw string; throws an Error whose message says what is wrong (without echoing secrets). */
  parse: (raw: string) => unknown;
  secret?: boolean;
}

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => (raw: string) => {
  if (!/^-?\d+$/.test(raw.trim())) throw new Error(`must be a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new Error(`must be between ${min} and ${max}`);
  return n;
};
const bool = (raw: string) => {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new Error('must be true or false');
};
const text = (raw: string) => raw;
const oneOf =
  <T extends string>(...values: T[]) =>
  (raw: string) => {
    if (!values.includes(raw as T)) throw new Error(`must be one of ${values.join(', ')}`);
    return raw as T;
  };
const url = (protocols: string[]) => (raw: string) => {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new Error('must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) throw new Error(`must be a ${protocols.join(' or ')} URL`);
  return raw;
};
const minLength = (n: number) => (raw: string) => {
  if (raw.length < n) throw new Error(`must be at least ${n} characters`);
  return raw;
};
const pattern = (re: RegExp, message: string) => (raw: string) => {
  if (!re.test(raw)) throw new Error(message);
  return raw;
};
/** An empty value means "not set" and is kept as ''. */
const optional =
  (parse: (raw: string) => string) =>
  (raw: string): string =>
    raw === '' ? '' : parse(raw);
/** Comma-separated URLs; empty: none. */
const urlList = (protocols: string[]) => (raw: string) =>
  raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(url(protocols));
/** A port, or null when empty (not set). */
const optionalPort = (raw: string): number | null => (raw === '' ? null : integer(0, 65535)(raw));
const cron = (raw: string) => {
  if (!validateCronExpression(raw).valid) throw new Error('must be a cron expression such as "0 3 * * *"');
  return raw;
};
const size = (raw: string) => {
  const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw.trim());
  if (!m) throw new Error('must be a size such as 1mb, 512kb or 1048576');
  const unit = (m[2] ?? 'b').toLowerCase();
  return Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
};

/** Fastify's trustProxy: a boolean, a hop count, or addresses and CIDR ranges. */
const trustProxy = (raw: string): boolean | number | string[] => {
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^\d+$/.test(v)) return integer(1, 100)(v);
  const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  // Addresses and CIDR ranges only: IPv4 or IPv6 characters, an optional /prefix.
  if (list.length === 0 || list.some((s) => !/^[0-9a-f:.]+(\/\d{1,3})?$/.test(s))) throw new Error('must be true, false, a number of hops or a comma-separated list of addresses or CIDR ranges');
  return list;
};

export const CONFIG_SCHEMA = {
  NODE_ENV: { description: 'production, development or test', default: 'development', parse: oneOf('production', 'development', 'test') },
  PORT: { description: 'HTTP port', default: '3000', parse: integer(0, 65535) },
  HOST: { description: 'Interface to listen on', default: '0.0.0.0', parse: text },
  METRICS_PORT: { description: 'Port of a listener of its own serving GET /metrics (Prometheus) without a token, on HOST: keep it off the public network. Empty: /metrics is served on PORT behind the admin token (Authorization: Bearer ADMIN_TOKEN)', default: '', parse: optionalPort },
  LOG_LEVEL: { description: 'fatal, error, warn, info, debug, trace or silent', default: 'info', parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') },
  BODY_LIMIT: { description: 'Largest JSON or webhook body accepted (bytes, or with kb/mb)', default: '1mb', parse: size },
  HTTP_HEADERS_TIMEOUT_MS: { description: 'Time a client has to send the headers of a request; then 408 and the connection is closed', default: '10000', parse: integer(100, 600000) },
  HTTP_REQUEST_TIMEOUT_MS: { description: 'Time a client has to send a whole request, headers and body (at least HTTP_HEADERS_TIMEOUT_MS); then 408 and the connection is closed', default: '30000', parse: integer(100, 600000) },
  HTTP_IDLE_TIMEOUT_MS: { description: 'A connection quiet both ways for this long is closed (0: never). Longer than STRIPE_REQUEST_DEADLINE_MS and than any awaited admin run, which are quiet while they work', default: '120000', parse: integer(0, 3600000) },
  HTTPS_ONLY: { description: 'Whether clients reach the service only over https (its own TLS or a TLS-terminating proxy): every answer then carries Strict-Transport-Security, and browsers refuse plain http to its host for a year', default: 'false', parse: bool },
  BODY_MAX_DEPTH: { description: 'Deepest nesting of arrays and objects accepted in a JSON body (deeper: 400 body_too_deep)', default: '64', parse: integer(2, 1000) },
  DATABASE_URL: { description: 'PostgreSQL URL (postgres://user:pass@host:5432/db). Empty: embedded PGlite', default: '', parse: optional(url(['postgres:', 'postgresql:'])), secret: true },
  DATABASE_REPLICA_URLS: { description: 'Read replicas of DATABASE_URL (comma-separated PostgreSQL URLs), serving features, the partner lookup and the account\'s lists; writes, transactions and an account\'s reads just after its own changes stay on the primary. Empty: every read on the primary', default: '', parse: urlList(['postgres:', 'postgresql:']), secret: true },
  DATABASE_READ_YOUR_WRITES_MS: { description: 'With read replicas: for this long after an account changed something through this instance, its reads go to the primary (so it sees its change while a replica catches up)', default: '5000', parse: integer(0, 600000) },
  DATABASE_POOL_MAX: { description: 'Largest number of PostgreSQL connections per instance', default: '10', parse: integer(1, 500) },
  DATA_DIR: { description: 'Folder where embedded PGlite keeps its data. Empty: in memory (lost at exit)', default: '', parse: text },
  DEFAULT_APPLICATION_ID: { description: 'Application used when a request names none (JWT app claim, X-Application-Id)', default: 'default', parse: pattern(ID_PATTERN, 'must be lower-case letters, digits, - or _ (at most 63)') },
  STRIPE_SECRET_KEY: { description: 'Platform Stripe secret key (sk_live_/sk_test_/rk_). Empty: the bundled Stripe emulator is started', default: '', parse: optional(pattern(/^(sk|rk)_(test|live)_\w+$/, 'must look like sk_test_..., sk_live_... or rk_...')), secret: true },
  STRIPE_API_BASE: { description: 'Stripe API base URL; set to point at a running emulator (http://127.0.0.1:12111). Empty: api.stripe.com, or the embedded emulator when no key is set', default: '', parse: optional(url(['http:', 'https:'])) },
  EMULATOR_PORT: { description: 'Port of the bundled Stripe emulator that local mode starts (no STRIPE_SECRET_KEY nor STRIPE_API_BASE); the same at every start, so its URL stays known. 0: any free port', default: '12111', parse: integer(0, 65535) },
  LOCAL_DEMO_CATALOG: { description: 'Whether local mode (no STRIPE_SECRET_KEY) makes a demo catalog on first start: a product "Demo Plan" with a monthly (JPY 1,000) and a yearly (JPY 10,000) price and two features, sold by the default application', default: 'true', parse: bool },
  STRIPE_TIMEOUT_MS: { description: 'Timeout of one attempt of a Stripe request (cut short by STRIPE_REQUEST_DEADLINE_MS)', default: '20000', parse: integer(100, 120000) },
  STRIPE_MAX_NETWORK_RETRIES: { description: 'Retries of a failed Stripe request (the SDK retries 409, 5xx, connection errors), within STRIPE_REQUEST_DEADLINE_MS', default: '2', parse: integer(0, 10) },
  STRIPE_REQUEST_DEADLINE_MS: { description: 'Longest time one API request may spend on Stripe, all its calls and retries together; then 503 stripe_timeout. Admin and background work get it per Stripe call', default: '15000', parse: integer(100, 600000) },
  JWT_SECRET: { description: 'HS256 secret for account tokens (at least 32 characters). One of JWT_SECRET or JWT_JWKS_URL is required outside development', default: '', parse: optional(minLength(32)), secret: true },
  JWT_JWKS_URL: { description: 'JWKS URL for RS256/ES256 account tokens', default: '', parse: optional(url(['http:', 'https:'])) },
  JWT_ISSUER: { description: 'Required iss claim (empty: not checked)', default: '', parse: text },
  JWT_AUDIENCE: { description: 'Required aud claim (empty: not checked)', default: '', parse: text },
  JWT_ACCOUNT_CLAIM: { description: 'Claim holding the account id', default: 'acc', parse: text },
  JWT_APPLICATION_CLAIM: { description: 'Claim naming the application', default: 'app', parse: text },
  JWT_ROLE_CLAIM: { description: 'Claim holding the role (a string or an array of strings)', default: 'role', parse: text },
  JWT_OWNER_ROLE: { description: 'Role value that may change billing (mutations)', default: 'owner', parse: text },
  ADMIN_TOKEN: { description: 'Bearer token of the admin API (at least 24 characters). Required outside development', default: '', parse: optional(minLength(24)), secret: true },
  SERVICE_URL: { description: 'The running service that npm run admin and npm run reconcile call (its admin API, with ADMIN_TOKEN). Empty: http://localhost:PORT', default: '', parse: optional(url(['http:', 'https:'])) },
  WEBHOOK_TOLERANCE_SECONDS: { description: 'Largest age of a Stripe-Signature timestamp', default: '300', parse: integer(1, 86400) },
  WEBHOOK_WORKER_ENABLED: { description: 'Whether this instance applies stored webhook events (turn off on instances that only receive)', default: 'true', parse: bool },
  WEBHOOK_WORKER_CONCURRENCY: { description: 'Event batches applied at once by this instance', default: '2', parse: integer(1, 32) },
  WEBHOOK_WORKER_BATCH_SIZE: { description: 'Events claimed per batch (one transaction; its subscription and invoice events written together, the others one savepoint each): larger batches apply faster, and hold the locks of their customers a little longer', default: '500', parse: integer(1, 500) },
  WEBHOOK_WORKER_POLL_MS: { description: 'How often an idle worker looks for due events (new events also wake it at once)', default: '500', parse: integer(10, 60000) },
  WEBHOOK_MAX_ATTEMPTS: { description: 'Attempts before an event is marked dead (replayable from the admin API)', default: '8', parse: integer(1, 100) },
  WEBHOOK_RETRY_BASE_SECONDS: { description: 'First retry delay; doubles with each attempt (with jitter), at most 6 hours', default: '10', parse: integer(1, 3600) },
  DEFAULT_PRORATION_BEHAVIOR: { description: 'Proration of a plan change when the request names none (create_prorations, always_invoice or none)', default: 'create_prorations', parse: oneOf('create_prorations', 'always_invoice', 'none') },
  TRIAL_EXPIRY_CRON: { description: 'When expired platform trials are ended (cron, server time)', default: '*/5 * * * *', parse: cron },
  RECONCILER_ENABLED: { description: 'Whether this instance runs the scheduled re-sync from Stripe (one instance per merchant runs at a time anyway)', default: 'true', parse: bool },
  RECONCILER_CRON: { description: 'When the scheduled re-sync runs (cron)', default: '0 3 * * *', parse: cron },
  RECONCILER_TIME_ZONE: { description: 'Time zone of RECONCILER_CRON', default: 'UTC', parse: text },
  RECONCILER_ALLOW_DELETES: { description: 'Whether the scheduled run removes subscriptions Stripe no longer has (otherwise it flags them)', default: 'false', parse: bool },
  RECONCILER_MAX_REQUESTS_PER_SECOND: { description: 'Stripe requests per second the re-sync may make (Stripe allows 100/s live, 25/s in test mode)', default: '20', parse: integer(1, 1000) },
  RECONCILER_LIST_CHAINS: { description: 'Cursor chains a re-sync lists with at once (windows of created of about 3,000 subscriptions, side by side): at about 300 ms a page of 100, 30 chains keep 100 requests a second busy, and more let every window of a run start at once (100,000 subscriptions make about 35 windows; one that waits for a chain ends its run some 30 round trips late). Chains waiting for the request budget hold no page', default: '48', parse: integer(1, 256) },
  RECONCILER_WRITE_CONCURRENCY: { description: 'Batches of listed pages a re-sync writes at once (one database connection each; keep it below DATABASE_POOL_MAX)', default: '4', parse: integer(1, 64) },
  RECONCILER_WRITE_BATCH: { description: 'Most subscriptions a re-sync writes in one transaction: queued pages of one Stripe account are gathered up to it while the database is behind (at most 400: the transaction of a batch holds the locks of the customers of its subscriptions, whose webhook events wait until it commits)', default: '300', parse: integer(100, 400) },
  TRUST_PROXY: { description: 'Which proxies in front of the service are trusted to name the client in X-Forwarded-For (its address is what the per-IP limits count): false (none: the TCP peer is the client), true (every hop: only when the service is reachable through the proxy alone), a number of hops, or a comma-separated list of addresses and CIDR ranges', default: 'false', parse: trustProxy },
  THROTTLE_STORE: { description: 'Where request counts live: postgres (one table shared by every instance on the database, one upsert per limited request) or memory (per instance: N instances allow N times the limits)', default: 'postgres', parse: oneOf('postgres', 'memory') },
  THROTTLE_WINDOW_SECONDS: { description: 'Length of the fixed window the request limits below count in', default: '60', parse: integer(1, 3600) },
  THROTTLE_ACCOUNT_LIMIT: { description: 'Requests per window per account (account-token routes, counted per account and application). 0: no limit', default: '600', parse: integer(0) },
  THROTTLE_PARTNER_LIMIT: { description: 'Requests per window per partner API key (the contract lookup, thousands a second from one partner at peak). 0: no limit', default: '300000', parse: integer(0) },
  THROTTLE_IP_LIMIT: { description: 'Requests per window per client IP on routes that take no credentials (the billing page). 0: no limit', default: '300', parse: integer(0) },
  THROTTLE_WEBHOOK_LIMIT: { description: 'Webhook deliveries per window per application: generous, Stripe sends bursts (and retries a 429 later). 0: no limit', default: '20000', parse: integer(0) },
  AUTH_FAILURE_LIMIT: { description: 'Failed admin-token and API-key attempts per client IP per AUTH_FAILURE_WINDOW_SECONDS; past it every admin and partner request from that IP is 429 until the window ends, even with a correct credential. 0: no limit', default: '10', parse: integer(0) },
  AUTH_FAILURE_WINDOW_SECONDS: { description: 'The window AUTH_FAILURE_LIMIT counts failures in (and the longest lock-out)', default: '60', parse: integer(1, 86400) },
  AUDIT_RETENTION_DAYS: { description: 'How long audit records are kept (days); older ones are purged hourly', default: '365', parse: integer(1, 36500) },
  WEBHOOK_SECRET_OVERLAP_HOURS: { description: 'How long a rotated webhook secret stays valid next to the new one', default: '24', parse: integer(0, 24 * 30) },
} as const satisfies Record<string, VariableSpec>;

export type ConfigKey = keyof typeof CONFIG_SCHEMA;
export type AppConfig = { [K in ConfigKey]: ReturnType<(typeof CONFIG_SCHEMA)[K]['parse']> };
