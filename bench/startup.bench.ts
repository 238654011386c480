import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark } from './support.js';

/** The repository (this file runs as dist/bench/startup.bench.js). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = 5;
const GIVE_UP_MS = 120_000;

interface Start {
  /** From spawning `node dist/src/main.js` to the first 200 from /health. */
  healthMs: number;
  /** To the end of the start-up banner (demo catalog made, webhook endpoint connected). */
  bannerMs: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One `npm start` (without the build) on PGlite and the bundled emulator, with no other configuration. */
async function start(env: Record<string, string> = {}): Promise<Start> {
  const port = await freePort();
  const began = performance.now();
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), EMULATOR_PORT: String(await freePort()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let bannerMs: number | undefined;
  child.stdout.on('data', (d) => {
    stdout += d;
    if (bannerMs === undefined && stdout.split('='.repeat(78)).length >= 3) bannerMs = performance.now() - began;
  });
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    let healthMs: number | undefined;
    while (healthMs === undefined) {
      if (child.exitCode !== null) throw new Error(`the service exited: ${stderr || stdout}`);
      if (performance.now() - began > GIVE_UP_MS) throw new Error(`no /health within ${GIVE_UP_MS} ms`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false);
      if (ok) healthMs = performance.now() - began;
      else await new Promise((r) => setTimeout(r, 20));
    }
    while (bannerMs === undefined) {
      if (child.exitCode !== null) throw new Error(`the service exited: ${stderr || stdout}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { healthMs: Math.round(healthMs), bannerMs: Math.round(bannerMs) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Removes the migrated PGlite template local mode keeps in node_modules/.cache, as on a fresh install. */
function forgetTemplates(): void {
  const cache = join(ROOT, 'node_modules', '.cache', 'billing-service');
  for (const name of readdirSync(cache, { withFileTypes: true }).filter((e) => e.name.startsWith('pglite-template-'))) {
    rmSync(join(cache, name.name), { recursive: true, force: true });
  }
}

export const startupBenchmark: Benchmark = {
  name: 'startup',
  description: `npm start on PGlite (node dist/src/main.js, no configuration but free ports; the build excluded): time to /health 200 and to the banner, median of ${RUNS}`,
  async run() {
    const load = loadavg()[0]!;
    // The first start after an install makes the migrated template (PGlite's initdb and the migrations).
    forgetTemplates();
    const first = await start();
    const temporary: Start[] = [];
    for (let i = 0; i < RUNS; i++) temporary.push(await start());
    // DATA_DIR: the first start copies the template in, the next ones open what is there.
    const dataDir = join(mkdtempSync(join(tmpdir(), 'startup-bench-')), 'data');
    const kept: Start[] = [];
    try {
      const firstWithDataDir = await start({ DATA_DIR: dataDir });
      for (let i = 0; i < RUNS; i++) kept.push(await start({ DATA_DIR: dataDir }));
      return {
        runs: RUNS,
        first_start_after_install_health_ms: first.healthMs,
        health_median_ms: median(temporary.map((s) => s.healthMs)),
        health_min_ms: Math.min(...temporary.map((s) => s.healthMs)),
        health_max_ms: Math.max(...temporary.map((s) => s.healthMs)),
        banner_median_ms: median(temporary.map((s) => s.bannerMs)),
        data_dir_first_start_health_ms: firstWithDataDir.healthMs,
        data_dir_restart_health_median_ms: median(kept.map((s) => s.healthMs)),
        load_average_1m_before: Math.round(load * 100) / 100,
      };
    } finally {
      rmSync(join(dataDir, '..'), { recursive: true, force: true });
    }
  },
};
