import Stripe from 'stripe';
import { startEmulator } from '@billing/stripe-emulator';
import { peakRssMb, type Benchmark } from './support.js';

const N = Number(process.env.BENCH_EMULATOR_SUBSCRIPTIONS ?? 100_000);

/** The emulator at reconciler size: seed N subscriptions on a connected account, list them all through the SDK's auto-pagination. */
export const emulatorListingBenchmark: Benchmark = {
  name: 'emulator-listing',
  description: `seed ${N} subscriptions in the emulator, then list them all through the stripe SDK (100 a page)`,
  async run() {
    const emulator = await startEmulator({ port: 0 });
    try {
      const seedStarted = Date.now();
      const res = await fetch(`${emulator.url}/_emulator/seed`, {
        method: 'POST',
        headers: { authorization: `Bearer ${emulator.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ account: 'acct_bench', count: N }),
      });
      if (!res.ok) throw new Error(`seeding failed: ${res.status}`);
      const seedMs = Date.now() - seedStarted;
      const stripe = new Stripe(emulator.secretKey, { host: emulator.host, port: emulator.port, protocol: 'http' });
      const started = Date.now();
      let count = 0;
      for await (const _ of stripe.subscriptions.list({ limit: 100, status: 'all' }, { stripeAccount: 'acct_bench' })) count++;
      const listMs = Date.now() - started;
      return { subscriptions: count, seed_ms: seedMs, list_ms: listMs, listed_per_s: Math.round(count / (listMs / 1000)), pages: Math.ceil(count / 100), peak_rss_mb: peakRssMb() };
    } finally {
      await emulator.stop();
    }
  },
};
