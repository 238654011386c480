import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import 'reflect-metadata';
import { openCliContext } from '../src/cli/cli-context.js';
import { loadConfig } from '../src/infra/config/config.js';
import { ReconcilerService } from '../src/reconciler/reconciler.service.js';
import { MerchantsService } from '../src/tenancy/merchants.service.js';
import { freshDatabase, peakRssMb, type Benchmark } from './support.js';

const TOTAL = Number(process.env.BENCH_RECONCILE_SUBSCRIPTIONS ?? 100_000);
/** Stripe's live-mode rate limit: the run may use all of it. */
const REQUESTS_PER_SECOND = 100;
const ACCOUNTS = [undefined, 'acct_benchdirecta', 'acct_benchdirectb'] as const;

/** Latency added to every Stripe call, as the emulator's `latency_ms` fault: loopback, then about what a page of 100 with expansions takes on the real Stripe. */
const LATENCIES_MS = (process.env.BENCH_RECONCILE_LATENCIES_MS ?? '300,0').split(',').map(Number);
/** The seeded subscriptions' `created` spread over a year, as an account's history is (windows of `created` split it). */
const SPREAD_SECONDS = 365 * 86_400;

/**
 * A full re-sync of 100,000 subscriptions across 3 merchants (the platform and two direct
 * merchants on connected accounts) from the emulator, running in a process of its own, into a
 * fresh PostgreSQL database, once per latency per Stripe call (300 ms, then 0 ms); after the 0 ms
 * one, the same run again when nothing has changed (the nightly case). The floor is Stripe's own
 * limit: REQUESTS_PER_SECOND pages of 100 a second.
 */
export const reconcileBenchmark: Benchmark = {
  name: 'reconcile',
  service: 'in-process',
  description: `${TOTAL} subscriptions across 3 merchants, full runs at ${LATENCIES_MS.join(' and ')} ms per Stripe call then a no-change run, ${REQUESTS_PER_SECOND} Stripe requests/s allowed`,
  async run() {
    const emulator = await startEmulatorProcess();
    const figures: Record<string, number | string> = { stripe_limit_rows_per_s: REQUESTS_PER_SECOND * 100 };
    try {
      const perAccount = Math.ceil(TOTAL / ACCOUNTS.length);
      for (const account of ACCOUNTS) {
        const res = await fetch(`${emulator.url}/_emulator/seed`, {
          method: 'POST',
          headers: { authorization: 'Bearer sk_test_emulator', 'content-type': 'application/json' },
          body: JSON.stringify({ count: perAccount, spread_seconds: SPREAD_SECONDS, ...(account ? { account } : {}) }),
        });
        if (!res.ok) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
      }
      for (const latency of LATENCIES_MS) {
        await faults(emulator.url, latency);
        const db = await freshDatabase();
        try {
          const context = await openCliContext(benchConfig(db.url, emulator.url));
          try {
            const merchants = context.app.get(MerchantsService);
            for (const account of ACCOUNTS.filter(Boolean)) {
              await merchants.createMerchant({ id: account!.replace('acct_', ''), display_name: account!, charge_model: 'direct', stripe_account_id: account! });
            }
            const reconciler = context.app.get(ReconcilerService);
            const full = await timed(() => reconciler.start({ scope: 'platform', allowDeletes: false, trigger: 'cli' }).then((r) => r.done));
            const objects = full.run.created + full.run.updated + full.run.unchanged;
            const at = `${latency}ms`;
            Object.assign(figures, {
              subscriptions: objects,
              [`full_${at}_s`]: round(full.seconds),
              [`full_${at}_rows_per_s`]: Math.round(objects / full.seconds),
              [`full_${at}_vs_stripe_limit_pct`]: Math.round((objects / full.seconds / (REQUESTS_PER_SECOND * 100)) * 100),
              [`full_${at}_stripe_calls`]: full.run.stripeCalls,
              [`full_${at}_calls_per_100_objects`]: round((full.run.stripeCalls / objects) * 100),
              // Less the probes: windows that turned out empty (one call each, nothing listed).
              [`full_${at}_calls_per_100_objects_less_empty_windows`]: round(((full.run.stripeCalls - full.run.emptyWindows) / objects) * 100),
              [`full_${at}_windows`]: full.run.windows,
              [`full_${at}_empty_windows`]: full.run.emptyWindows,
              [`full_${at}_requests_per_s`]: round(full.run.stripeCalls / full.seconds),
            });
            if (latency === 0) {
              const again = await timed(() => reconciler.start({ scope: 'platform', allowDeletes: false, trigger: 'cli' }).then((r) => r.done));
              Object.assign(figures, {
                no_change_run_s: round(again.seconds),
                no_change_run_unchanged: again.run.unchanged,
                no_change_rows_per_s: Math.round(again.run.unchanged / again.seconds),
              });
            }
          } finally {
            await context.close();
          }
        } finally {
          await db.drop();
        }
      }
      figures.peak_rss_mb = peakRssMb();
      return figures;
    } finally {
      emulator.child.kill('SIGTERM');
    }
  },
};

function benchConfig(databaseUrl: string, stripeUrl: string) {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: '10',
    STRIPE_SECRET_KEY: 'sk_test_emulator',
    STRIPE_API_BASE: stripeUrl,
    JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
    ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
    RECONCILER_MAX_REQUESTS_PER_SECOND: String(REQUESTS_PER_SECOND),
  });
}

/** Every Stripe call of the emulator answers `latency` ms late (none when 0). */
async function faults(url: string, latency: number): Promise<void> {
  const headers = { authorization: 'Bearer sk_test_emulator', 'content-type': 'application/json' };
  await fetch(`${url}/_emulator/faults`, { method: 'DELETE', headers });
  if (latency > 0) {
    const res = await fetch(`${url}/_emulator/faults`, { method: 'POST', headers, body: JSON.stringify({ api: [{ latency_ms: latency }] }) });
    if (!res.ok) throw new Error(`faults failed: ${res.status} ${await res.text()}`);
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

async function timed<T extends { status: string; error?: string | null }>(work: () => Promise<T>): Promise<{ run: T; seconds: number }> {
  const started = Date.now();
  const run = await work();
  if (run.status !== 'succeeded') throw new Error(`reconcile run ${run.status}: ${run.error}`);
  return { run, seconds: (Date.now() - started) / 1000 };
}

/** The emulator package's command (its `bin`, built by `npm run bench`'s build), run with this Node. */
async function emulatorCommand(): Promise<string> {
  const manifestUrl = import.meta.resolve('@billing/stripe-emulator/package.json');
  const manifest = JSON.parse(await readFile(new URL(manifestUrl), 'utf8')) as { bin: Record<string, string> };
  return fileURLToPath(new URL(manifest.bin['stripe-emulator']!, manifestUrl));
}

async function startEmulatorProcess(): Promise<{ child: ChildProcess; url: string }> {
  // Not the service's heap settings: the emulator holds every seeded object in memory.
  const child = spawn(process.execPath, [await emulatorCommand(), '--port', '0'], { env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return { child, url };
}
