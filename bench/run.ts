/**
 * `npm run bench [-- NAME ...]`: runs the benchmarks (all, or the named ones) against real
 * PostgreSQL on loopback (startup: embedded PGlite, as `npm start` with no configuration), prints
 * a table and merges the figures into bench/results.json, one key per benchmark.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SERVICE_NODE_OPTIONS, type Benchmark, type BenchResult } from './support.js';
import { emulatorListingBenchmark } from './emulator-listing.bench.js';
import { lookupBenchmark } from './lookup.bench.js';
import { reconcileBenchmark } from './reconcile.bench.js';
import { startupBenchmark } from './startup.bench.js';
import { webhooksBenchmark } from './webhooks.bench.js';

const BENCHMARKS: Benchmark[] = [webhooksBenchmark, lookupBenchmark, reconcileBenchmark, emulatorListingBenchmark, startupBenchmark];
const RESULTS = fileURLToPath(new URL('../../bench/results.json', import.meta.url));

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  const selected = wanted.length ? BENCHMARKS.filter((b) => wanted.includes(b.name)) : BENCHMARKS;
  if (process.env.BENCH_CHILD !== '1') {
    // One process per benchmark, so that each one's peak memory is its own, started with the
    // service's V8 flags when the service runs in it.
    for (const benchmark of selected) {
      const nodeOptions = benchmark.service === 'in-process' ? SERVICE_NODE_OPTIONS : (process.env.NODE_OPTIONS ?? '');
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), benchmark.name], { stdio: 'inherit', env: { ...process.env, BENCH_CHILD: '1', NODE_OPTIONS: nodeOptions } });
      if (child.status !== 0) process.exit(child.status ?? 1);
    }
    process.exit(0);
  }
  const results = readResults();
  for (const benchmark of selected) {
    console.log(`\n== ${benchmark.name}: ${benchmark.description}`);
    // The machine may be busy with other work: absolute figures say little then, the ratios to a floor measured in the same run do.
    const load = Math.round(loadavg()[0]! * 100) / 100;
    const figures = { load_average_1m_before: load, ...(benchmark.service ? { service_node_options: SERVICE_NODE_OPTIONS } : {}), ...(await benchmark.run()) };
    results[benchmark.name] = { ...figures, measured_at: new Date().toISOString(), machine: `${process.arch}, node ${process.version}` };
    console.table(Object.entries(figures).map(([metric, value]) => ({ metric, value })));
  }
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${RESULTS}`);
  process.exit(0);
}

function readResults(): Record<string, BenchResult> {
  try {
    return JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, BenchResult>;
  } catch {
    return {};
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
