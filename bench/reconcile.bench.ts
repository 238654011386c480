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

/**
 * A full re-sync of 100,000 subscriptions across 3 merchants (the platform and two direct
 * merchants on connected accounts) from the emulator, running in a process of its own, into a
 * fresh PostgreSQL database; then the same run again, when nothing has changed (the nightly case).
 */
export const reconcileBenchmark: Benchmark = {
  name: 'reconcile',
  description: `${TOTAL} subscriptions across 3 merchants, full run then a no-change run, ${REQUESTS_PER_SECOND} Stripe requests/s allowed`,
  async run() {
    const emulator = await startEmulatorProcess();
    const db = await freshDatabase();
    try {
      const perAccount = Math.ceil(TOTAL / ACCOUNTS.length);
      for (const account of ACCOUNTS) {
        const res = await fetch(`${emulator.url}/_emulator/seed`, {
          method: 'POST',
          headers: { authorization: 'Bearer sk_test_emulator', 'content-type': 'application/json' },
          body: JSON.stringify({ count: perAccount, ...(account ? { account } : {}) }),
        });
        if (!res.ok) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
      }
      const config = loadConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: db.url,
        DATABASE_POOL_MAX: '10',
        STRIPE_SECRET_KEY: 'sk_test_emulator',
        STRIPE_API_BASE: emulator.url,
        JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
        ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
        RECONCILER_MAX_REQUESTS_PER_SECOND: String(REQUESTS_PER_SECOND),
      });
      const context = await openCliContext(config);
      try {
        const merchants = context.app.get(MerchantsService);
        for (const account of ACCOUNTS.filter(Boolean)) {
          await merchants.createMerchant({ id: account!.replace('acct_', ''), display_name: account!, charge_model: 'direct', stripe_account_id: account! });
        }
        const reconciler = context.app.get(ReconcilerService);
        const full = await timed(() => reconciler.start({ scope: 'platform', allowDeletes: false, trigger: 'cli' }).then((r) => r.done));
        const again = await timed(() => reconciler.start({ scope: 'platform', allowDeletes: false, trigger: 'cli' }).then((r) => r.done));
        const objects = full.run.created + full.run.updated + full.run.unchanged;
        return {
          subscriptions: objects,
          full_run_status: full.run.status,
          full_run_s: round(full.seconds),
          full_run_rows_per_s: Math.round(objects / full.seconds),
          full_run_stripe_calls: full.run.stripeCalls,
          stripe_calls_per_100_objects: round((full.run.stripeCalls / objects) * 100),
          no_change_run_s: round(again.seconds),
          no_change_run_unchanged: again.run.unchanged,
          no_change_rows_per_s: Math.round(again.run.unchanged / again.seconds),
          peak_rss_mb: peakRssMb(),
        };
      } finally {
        await context.close();
      }
    } finally {
      await db.drop();
      emulator.child.kill('SIGTERM');
    }
  },
};

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
  const child = spawn(process.execPath, [await emulatorCommand(), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
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
