import { createHmac } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
import { freshDatabase, loadInTurns, startServer, stopServer, type Benchmark, type ServerProcess, type TurnResult } from './support.js';

const SUBSCRIPTIONS = Number(process.env.BENCH_WEBHOOK_SUBSCRIPTIONS ?? 10_000);
const CONNECTIONS = 20;
/** What a month-start renewal sends for each subscription, in Stripe's order (one second apart). */
const EVENT_TYPES = ['customer.subscription.created', 'invoice.paid', 'customer.subscription.updated'] as const;
/** Seconds between the events of one subscription: other subscriptions' events fall in between, as in a real burst. */
const STEP_S = 100;
/** How many turns each server takes, a fifth of the burst each. */
const ROUNDS = 5;
/** Each server's unmeasured warm-up: this many subscriptions' events, under ids of its own. */
const WARMUP_SUBSCRIPTIONS = 1_000;

/**
 * A burst of signed Stripe events of 10,000 subscriptions (created, its invoice paid, updated:
 * 30,000 events, shuffled), each server in a process of its own and autocannon in this one:
 *
 * 1. accepted/s by a bare node:http + pg server that checks the signature and inserts the raw
 *    event into the same table (the floor), by the same intake on a bare Fastify (the framework's
 *    share of the gap), and by the service's endpoint (worker off): the three run side by side and,
 *    after a warm-up each, take the burst in ROUNDS turns (support.ts `loadInTurns`);
 * 2. applied/s: the service started again with its worker on (default claim size and slots),
 *    applying the stored burst; timed by the first and last `processed_at`.
 */
export const webhooksBenchmark: Benchmark = {
  name: 'webhooks',
  service: 'servers',
  description: `${SUBSCRIPTIONS} subscriptions × ${EVENT_TYPES.length} events, shuffled: accepted/s over HTTP (${CONNECTIONS} connections) vs a bare intake server, then applied/s by the worker`,
  async run() {
    const db = await freshDatabase();
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      DATABASE_POOL_MAX: '20',
      JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
      ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
      BODY_LIMIT: '1mb',
      // The burst is 30,000 deliveries of one application in well under a minute: the per-application
      // limit (still counted on every delivery) is set above it, as for a merchant expecting such bursts.
      THROTTLE_WEBHOOK_LIMIT: '1000000',
      // Never called: every event is newer than what is stored, so nothing is fetched.
      STRIPE_SECRET_KEY: 'sk_test_bench',
      STRIPE_API_BASE: 'http://127.0.0.1:9',
    };
    const client = new pg.Client({ connectionString: db.url });
    try {
      // The first start applies the migrations and makes the default application and its secret.
      await stopServer((await startServer('serve-app.js', { ...env, WEBHOOK_WORKER_ENABLED: 'false' })).child);
      await client.connect();
      const [row] = (await client.query<{ secret: string }>(`select secret from webhook_secrets where application_id = 'default' order by created_at desc limit 1`)).rows;
      const secret = row!.secret;
      // Each server gets the same burst under ids of its own (they all store into the one table, which
      // grows alike for each), and first a warm-up of its own, unmeasured, so that the figures are each
      // one's steady state and not its JIT warming up (the service has far more code to compile).
      const base = Math.floor(Date.now() / 1000) - 86_400;
      const order = shuffle([...Array(SUBSCRIPTIONS * EVENT_TYPES.length).keys()]);
      const bodiesOf = (prefix: string, count = SUBSCRIPTIONS) => {
        const events = burst(base, prefix, count);
        return order.filter((k) => k < events.length).map((k) => events[k]!);
      };
      const bodies = bodiesOf('bench');
      const paths = [
        { bodies: bodiesOf('bare0'), warmup: bodiesOf('warmbare', WARMUP_SUBSCRIPTIONS), path: '/', server: await startServer('serve-bare-intake.js', { ...env, WEBHOOK_SECRET: secret }) },
        { bodies: bodiesOf('fast0'), warmup: bodiesOf('warmfast', WARMUP_SUBSCRIPTIONS), path: '/', server: await startServer('serve-bare-intake.js', { ...env, WEBHOOK_SECRET: secret, BARE_SERVER: 'fastify' }) },
        { bodies, warmup: bodiesOf('warmbench', WARMUP_SUBSCRIPTIONS), path: '/api/applications/default/subscriptions/stripe/webhook', server: await startServer('serve-app.js', { ...env, WEBHOOK_WORKER_ENABLED: 'false' }) },
      ];
      for (const p of paths) await post(p.server, p.path, p.warmup, secret);
      const turn = Math.ceil(bodies.length / ROUNDS);
      const [floor, fastifyFloor, accepted] = await loadInTurns(
        paths.map((p) => p.server),
        ROUNDS,
        (i, round) => post(paths[i]!.server, paths[i]!.path, paths[i]!.bodies.slice(round * turn, (round + 1) * turn), secret),
      );
      const [bareRss, , intakeRss] = [await stopServer(paths[0]!.server.child), await stopServer(paths[1]!.server.child), await stopServer(paths[2]!.server.child)];
      // Only the service's burst is left for its worker to apply.
      await client.query(`delete from webhook_events where id not like 'evt_bench%'`);
      await client.query('vacuum analyze webhook_events');

      const worker = await startServer('serve-app.js', env);
      const applied = await waitApplied(client, bodies.length);
      const workerRss = await stopServer(worker.child);

      return {
        events: bodies.length,
        subscriptions: SUBSCRIPTIONS,
        bare_accepted_per_s: floor.rps,
        bare_accept_p99_ms: floor.p99,
        accepted_2xx: accepted.requests - accepted.non2xx,
        non_2xx: accepted.non2xx + floor.non2xx + fastifyFloor.non2xx,
        accepted_per_s: accepted.rps,
        accept_p99_ms: accepted.p99,
        accepted_vs_bare_pct: Math.round((accepted.rps / floor.rps) * 100),
        // The framework alone (a bare Fastify, same intake): how much of the gap is Fastify's, how much the service's.
        bare_fastify_accepted_per_s: fastifyFloor.rps,
        bare_fastify_vs_bare_pct: Math.round((fastifyFloor.rps / floor.rps) * 100),
        accepted_vs_bare_fastify_pct: Math.round((accepted.rps / fastifyFloor.rps) * 100),
        bare_fastify_cpu_us_per_delivery: fastifyFloor.cpuUs,
        intake_cpu_us_per_delivery: accepted.cpuUs,
        bare_cpu_us_per_delivery: floor.cpuUs,
        // What each delivery costs the database (the inserts into the same table).
        intake_pg_cpu_us_per_delivery: accepted.pgCpuUs,
        bare_pg_cpu_us_per_delivery: floor.pgCpuUs,
        applied: applied.processed,
        not_applied: applied.other,
        applied_per_s: applied.perSecond,
        intake_peak_rss_mb: intakeRss,
        worker_peak_rss_mb: workerRss,
        bare_peak_rss_mb: bareRss,
      };
    } finally {
      await client.end();
      await db.drop();
    }
  },
};

/** Posts every body once, signed as sent; what the turn did (timed from the first request sent to the last answer received). */
async function post(server: ServerProcess, path: string, bodies: string[], secret: string): Promise<TurnResult> {
  let next = 0;
  // autocannon's `amount` run only ends on its once-a-second tick, so timing the whole call rounds
  // every run up to whole seconds (10-30 % of a few-second run, and more of the faster server's).
  let first = 0;
  let last = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}${path}`,
    connections: CONNECTIONS,
    amount: bodies.length,
    method: 'POST',
    requests: [
      {
        // Signed as sent (a few microseconds, in this process): the signature's time stays within Stripe's tolerance however long the run.
        setupRequest: (request: any) => {
          first ||= performance.now();
          const body = bodies[next++ % bodies.length]!;
          const t = Math.floor(Date.now() / 1000);
          const signature = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
          return { ...request, body, headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${signature}` } };
        },
        onResponse: () => {
          last = performance.now();
        },
      },
    ],
  });
  return { requests: result.requests.total, seconds: (last - first) / 1000, non2xx: result.non2xx, p99: result.latency.p99 };
}

/** Waits until no event is left to apply; applied/s from the first to the last `processed_at`. */
async function waitApplied(client: pg.Client, total: number): Promise<{ processed: number; other: number; perSecond: number }> {
  for (;;) {
    const { rows } = await client.query<{ pending: number; processed: number; first: Date | null; last: Date | null }>(
      `select count(*) filter (where state = 'received')::int as pending, count(*) filter (where state = 'processed')::int as processed,
         min(processed_at) as first, max(processed_at) as last from webhook_events`,
    );
    const r = rows[0]!;
    if (r.pending === 0) {
      const seconds = (r.last!.getTime() - r.first!.getTime()) / 1000;
      return { processed: r.processed, other: total - r.processed, perSecond: Math.round(r.processed / Math.max(seconds, 0.001)) };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** A burst's event bodies (ids `evt_<prefix>…`): ten subscriptions a second, each one's events STEP_S apart. */
function burst(base: number, prefix: string, subscriptions: number): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < subscriptions; i++) {
    const t0 = base + Math.floor(i / 10);
    EVENT_TYPES.forEach((type, k) => bodies.push(JSON.stringify(event(prefix, i, k, type, t0, t0 + k * STEP_S))));
  }
  return bodies;
}

const id36 = (i: number) => i.toString(36).padStart(8, '0');

/** An event as Stripe sends it (API 2026-10-28: periods on the items and invoice lines). */
function event(prefix: string, i: number, k: number, type: (typeof EVENT_TYPES)[number], start: number, created: number) {
  const sub = `sub_bench${id36(i)}`;
  const customer = `cus_bench${id36(i)}`;
  const end = start + 30 * 86_400;
  const object = type === 'invoice.paid' ? invoice(i, sub, customer, start, end) : subscription(i, sub, customer, start, end, k);
  return {
    id: `evt_${prefix}${id36(i)}_${k}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object, ...(type === 'customer.subscription.updated' ? { previous_attributes: { cancel_at_period_end: true } } : {}) },
  };
}

function subscription(i: number, sub: string, customer: string, start: number, end: number, k: number) {
  return {
    id: sub,
    object: 'subscription',
    customer,
    status: 'active',
    cancel_at_period_end: k === 0,
    cancel_at: null,
    canceled_at: null,
    ended_at: null,
    created: start,
    start_date: start,
    trial_start: null,
    trial_end: null,
    latest_invoice: `in_bench${id36(i)}`,
    metadata: { account_id: `company_${i}`, application_id: 'default' },
    items: {
      object: 'list',
      has_more: false,
      total_count: 1,
      url: `/v1/subscription_items?subscription=${sub}`,
      data: [
        {
          id: `si_bench${id36(i)}`,
          object: 'subscription_item',
          quantity: 1 + (i % 5),
          current_period_start: start,
          current_period_end: end,
          subscription: sub,
          price: { id: 'price_bench_standard', object: 'price', product: 'prod_bench_standard', active: true, currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' } },
        },
      ],
    },
  };
}

function invoice(i: number, sub: string, customer: string, start: number, end: number) {
  return {
    id: `in_bench${id36(i)}`,
    object: 'invoice',
    customer,
    status: 'paid',
    billing_reason: 'subscription_create',
    currency: 'jpy',
    amount_due: 1000,
    amount_paid: 1000,
    amount_remaining: 0,
    total: 1000,
    hosted_invoice_url: null,
    attempt_count: 1,
    next_payment_attempt: null,
    created: start,
    period_start: start,
    period_end: start,
    parent: { type: 'subscription_details', subscription_details: { subscription: sub, metadata: {} } },
    lines: { object: 'list', has_more: false, data: [{ id: `il_bench${id36(i)}`, object: 'line_item', period: { start, end } }] },
  };
}
