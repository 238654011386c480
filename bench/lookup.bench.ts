import { createHash, randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import pg from 'pg';
import { freshDatabase, loadInTurns, startServer, stopServer, type Benchmark, type LoadResult, type ServerProcess } from './support.js';

const COMPANIES = 10_000;
const SUBSCRIPTIONS_PER_COMPANY = 2;
const DURATION_S = Number(process.env.BENCH_LOOKUP_SECONDS ?? 10);
const CONNECTIONS = 50;
/** How many turns each path takes; each turn is DURATION_S / ROUNDS seconds of load. */
const ROUNDS = 5;
/** Each server first takes this much load unmeasured, so that the figures are its steady state, not its JIT warming up. */
const WARMUP_S = 2;
const JWT_SECRET = 'bench-jwt-secret-that-is-long-enough-0123456789';
const API_KEY = `psk_bench_${randomBytes(16).toString('hex')}`;

/**
 * The read paths partners and billing pages hit: the contract lookup (partner API key) and
 * `features` (account JWT), with 10,000 companies and 20,000 subscriptions on real PostgreSQL,
 * each server in its own process and autocannon in this one (after an unmeasured warm-up), beside a bare node:http + pg
 * server running the same two statements, each path's floor: what the stack could do with that query (features' query
 * is not the lookup's: a union of subscriptions, entitlements and trials, so it has a floor of its own), and a bare
 * Fastify doing the same. The paths take the load in turns (ROUNDS), so that the service and its floors share the
 * machine's good and bad moments.
 */
export const lookupBenchmark: Benchmark = {
  name: 'lookup',
  service: 'servers',
  description: `${COMPANIES} companies, ${COMPANIES * SUBSCRIPTIONS_PER_COMPANY} subscriptions: lookup and features, ${DURATION_S}s at ${CONNECTIONS} connections each in ${ROUNDS} turns, vs a bare node:http + pg server running each one's statement`,
  async run() {
    const db = await freshDatabase();
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url,
      DATABASE_POOL_MAX: '20',
      JWT_SECRET,
      ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
      WEBHOOK_WORKER_ENABLED: 'false',
    };
    try {
      // The first start applies the migrations; the data goes in before the measured servers start.
      const migrate = await startServer('serve-app.js', env);
      await stopServer(migrate.child);
      await seed(db.url);
      const tokens = await Promise.all(Array.from({ length: 500 }, (_, i) => new SignJWT({ acc: company(i * 17), role: 'owner' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(JWT_SECRET))));

      // The three servers run side by side (an idle one costs nothing) and take the load in turns,
      // ROUNDS times over: a machine whose load drifts during the run (shared cores) then weighs on
      // the service and its floors alike, instead of on whichever ran in the quiet or the busy part.
      const [app, bare, framework] = [await startServer('serve-app.js', env), await startServer('serve-bare.js', env), await startServer('serve-bare.js', { ...env, BARE_SERVER: 'fastify' })];
      let [n, m, f] = [0, 0, 0];
      const paths: [ServerProcess, NextRequest][] = [
        [app, () => ({ path: `/api/applications/default/app-payment-customers?company_id=${company(randomIndex())}`, headers: { authorization: `Bearer ${API_KEY}` } })],
        [app, () => ({ path: '/api/subscriptions/features', headers: { authorization: `Bearer ${tokens[n++ % tokens.length]}` } })],
        [bare, () => ({ path: `/?company_id=${company(randomIndex())}`, headers: {} })],
        [bare, () => ({ path: `/features?account_id=${company((m++ % tokens.length) * 17)}`, headers: {} })],
        [framework, () => ({ path: `/?company_id=${company(randomIndex())}`, headers: {} })],
        [framework, () => ({ path: `/features?account_id=${company((f++ % tokens.length) * 17)}`, headers: {} })],
      ];
      const [lookup, features, floor, featuresFloor, fastifyFloor, fastifyFeaturesFloor] = await loadPathsInTurns(paths);
      const [appRss, bareRss] = [await stopServer(app.child), await stopServer(bare.child)];
      await stopServer(framework.child);

      return {
        lookup_rps: lookup.rps,
        lookup_p99_ms: lookup.p99,
        lookup_non_2xx: lookup.non2xx,
        features_rps: features.rps,
        features_p99_ms: features.p99,
        features_non_2xx: features.non2xx,
        bare_lookup_rps: floor.rps,
        bare_lookup_p99_ms: floor.p99,
        bare_features_rps: featuresFloor.rps,
        bare_features_p99_ms: featuresFloor.p99,
        lookup_vs_bare_pct: Math.round((lookup.rps / floor.rps) * 100),
        features_vs_bare_pct: Math.round((features.rps / featuresFloor.rps) * 100),
        lookup_p99_vs_bare: ratio(lookup.p99, floor.p99),
        features_p99_vs_bare: ratio(features.p99, featuresFloor.p99),
        lookup_cpu_us_per_request: lookup.cpuUs,
        features_cpu_us_per_request: features.cpuUs,
        bare_cpu_us_per_request: floor.cpuUs,
        bare_features_cpu_us_per_request: featuresFloor.cpuUs,
        // The framework alone (a bare Fastify, same statements): how much of the gap is Fastify's, how much the service's.
        bare_fastify_lookup_rps: fastifyFloor.rps,
        bare_fastify_features_rps: fastifyFeaturesFloor.rps,
        bare_fastify_vs_bare_pct: Math.round((fastifyFloor.rps / floor.rps) * 100),
        bare_fastify_features_vs_bare_pct: Math.round((fastifyFeaturesFloor.rps / featuresFloor.rps) * 100),
        lookup_vs_bare_fastify_pct: Math.round((lookup.rps / fastifyFloor.rps) * 100),
        features_vs_bare_fastify_pct: Math.round((features.rps / fastifyFeaturesFloor.rps) * 100),
        bare_fastify_cpu_us_per_request: fastifyFloor.cpuUs,
        // The rest of each request's cost on the same two cores: the database's and the load generator's.
        lookup_pg_cpu_us_per_request: lookup.pgCpuUs,
        bare_pg_cpu_us_per_request: floor.pgCpuUs,
        features_pg_cpu_us_per_request: features.pgCpuUs,
        bare_features_pg_cpu_us_per_request: featuresFloor.pgCpuUs,
        lookup_loadgen_cpu_us_per_request: lookup.loadCpuUs,
        bare_loadgen_cpu_us_per_request: floor.loadCpuUs,
        app_peak_rss_mb: appRss,
        bare_peak_rss_mb: bareRss,
      };
    } finally {
      await db.drop();
    }
  },
};

const ratio = (a: number, b: number) => Math.round((a / Math.max(b, 1)) * 100) / 100;
const company = (i: number) => `${100000 + i}`;
const randomIndex = () => Math.floor(Math.random() * COMPANIES);

async function seed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    await client.query(`insert into features (id, stripe_account, lookup_key, name, active, metadata, updated_at) values
      ('feat_basic', 'platform', 'basic_features', 'Basic', true, '{}', now()), ('feat_ext', 'platform', 'extended_features', 'Extended', true, '{}', now())`);
    await client.query(`insert into product_features (id, stripe_account, product_id, feature_id) values
      ('pf_1', 'platform', 'prod_standard', 'feat_basic'), ('pf_2', 'platform', 'prod_advanced', 'feat_basic'), ('pf_3', 'platform', 'prod_advanced', 'feat_ext')`);
    await client.query(
      `insert into partner_api_keys (id, application_id, name, prefix, key_hash, created_at) values ($1, 'default', 'bench', $2, $3, now())`,
      [crypto.randomUUID(), API_KEY.slice(0, 12), createHash('sha256').update(API_KEY).digest('hex')],
    );
    await client.query(
      `insert into identities (id, account_id, stripe_account, stripe_customer_id, created_at, updated_at)
       select gen_random_uuid(), (100000 + g)::text, 'platform', 'cus_bench' || g, now(), now() from generate_series(0, $1 - 1) g`,
      [COMPANIES],
    );
    // Two subscriptions per company: a live one (standard or advanced) and an older canceled one.
    await client.query(
      `insert into subscriptions (id, stripe_account, merchant_id, application_id, account_id, customer_id, status, cancel_at_period_end,
         current_period_start, current_period_end, access_until, stripe_created, stripe_version, metadata, raw, created_at, updated_at)
       select 'sub_bench' || g || '_' || k, 'platform', 'platform', 'default', (100000 + g)::text, 'cus_bench' || g,
         case when k = 0 then 'active' else 'canceled' end, false,
         now() - interval '5 days', now() + interval '25 days',
         case when k = 0 then now() + interval '25 days' else null end,
         now() - (k * interval '40 days'), 1, '{}', '{}', now(), now()
       from generate_series(0, $1 - 1) g, generate_series(0, $2 - 1) k`,
      [COMPANIES, SUBSCRIPTIONS_PER_COMPANY],
    );
    await client.query(
      `insert into subscription_items (id, subscription_id, price_id, product_id, quantity, usage_type, current_period_start, current_period_end)
       select 'si_' || s.id, s.id, case when right(s.account_id, 1) < '5' then 'price_standard' else 'price_advanced' end,
         case when right(s.account_id, 1) < '5' then 'prod_standard' else 'prod_advanced' end, 3, 'licensed', s.current_period_start, s.current_period_end
       from subscriptions s`,
    );
    await client.query('commit');
    await client.query('analyze');
  } finally {
    await client.end();
  }
}

/** The next request of a path: its path and query, and its headers. */
type NextRequest = () => { path: string; headers: Record<string, string> };

/** Loads each [server, request] pair in turn, ROUNDS times over, after a warm-up of each; the figures of each pair over all its turns. */
async function loadPathsInTurns(paths: [ServerProcess, NextRequest][]): Promise<LoadResult[]> {
  const run = (server: ServerProcess, next: NextRequest, duration: number) =>
    autocannon({
      url: `http://127.0.0.1:${server.port}`,
      connections: CONNECTIONS,
      duration,
      requests: [{ setupRequest: (request: any) => ({ ...request, ...next() }) }],
    });
  // Each path's warm-up is a run of its own, before any CPU time is read.
  for (const [server, next] of paths) await run(server, next, WARMUP_S);
  return loadInTurns(
    paths.map(([server]) => server),
    ROUNDS,
    async (i) => {
      const [server, next] = paths[i]!;
      const result = await run(server, next, DURATION_S / ROUNDS);
      return { requests: result.requests.total, seconds: result.duration, non2xx: result.non2xx, p99: result.latency.p99 };
    },
  );
}
