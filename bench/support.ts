import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createApp } from '../src/bootstrap.js';
import { loadConfig, type AppConfig } from '../src/infra/config/config.js';
import { createScratchDatabase, type ScratchDatabase } from '../scripts/support/scratch-database.js';

/** Benchmarks run on real PostgreSQL (BENCH_DATABASE_URL or DATABASE_URL, default the local server), each in a fresh database. */
export const BASE_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function freshDatabase(): Promise<ScratchDatabase> {
  return createScratchDatabase(BASE_DATABASE_URL, 'billing_bench');
}

export const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

/** The real application on a fresh PostgreSQL database, listening on loopback. */
export async function startBenchApp(databaseUrl: string, env: Record<string, string> = {}) {
  const config: AppConfig = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
    ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: '20',
    ...env,
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, config };
}

export interface BenchResult {
  [metric: string]: number | string;
}

export interface Benchmark {
  name: string;
  description: string;
  /**
   * Where the benchmark runs the service, which then runs with SERVICE_NODE_OPTIONS (recorded in its
   * figures): in server processes (startServer gives them the flags) or in the benchmark's own
   * process (the runner starts it with them).
   */
  service?: 'servers' | 'in-process';
  run(): Promise<BenchResult>;
}

/**
 * The V8 flags the service runs with in the benchmarks: the image's own (the Dockerfile's
 * `NODE_OPTIONS`), so that memory and speed are those of what is deployed, not of V8's defaults,
 * which size the heap from the machine's memory (on this 24 GiB machine Node 24 reserves a 128 MB
 * young generation, over half of an idle service's RSS). BENCH_NODE_OPTIONS overrides them ('' for
 * V8's defaults). The bare floors run with the same flags, so that the ratios compare like with like.
 */
export const SERVICE_NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ?? imageNodeOptions();

function imageNodeOptions(): string {
  const dockerfile = readFileSync(fileURLToPath(new URL('../../Dockerfile', import.meta.url)), 'utf8');
  const set = /NODE_OPTIONS="([^"]*)"/.exec(dockerfile);
  if (!set) throw new Error('the Dockerfile sets no NODE_OPTIONS="…": set BENCH_NODE_OPTIONS');
  return set[1]!;
}

/** Peak resident memory of this process so far, in MB. */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
}

/**
 * A server of the benchmarks (bench/serve-*.js) in a process of its own, once it prints the port it listens on.
 * `BENCH_CPU_PROF=DIR` runs each server under `node --cpu-prof`, writing a .cpuprofile into DIR when it stops
 * (read it with `node dist/bench/cpu-profile-summary.js FILE`): profiling the server under the benchmark's own load.
 */
export async function startServer(entry: string, env: Record<string, string>): Promise<ServerProcess> {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${entry.replace(/\.js$/, '')}-${Date.now()}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...profile, fileURLToPath(new URL(`./${entry}`, import.meta.url))], { env: { ...process.env, NODE_OPTIONS: SERVICE_NODE_OPTIONS, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`${entry} exited with ${code}`)));
  });
  return { child, port };
}

/** Stops a server process; returns its peak resident memory in MB (Linux /proc VmHWM, read just before it stops; 0 elsewhere). */
export async function stopServer(child: ChildProcess): Promise<number> {
  const peak = await peakRssOfProcessMb(child.pid);
  await new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return peak;
}

/**
 * CPU time (user + system) a process has used so far, in ms (Linux /proc; 0 elsewhere). Divided by
 * the requests a server answered, it is its cost per request: unlike requests/s on a shared
 * machine, it hardly depends on what else the cores are doing.
 */
export async function cpuTimeOfProcessMs(pid: number | undefined): Promise<number> {
  return cpuMsOfStat(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''));
}

/**
 * CPU time (user + system) of every PostgreSQL process on this machine so far, in ms (Linux /proc;
 * 0 elsewhere): the database's share of a request, read the same way as a server's. Backends that
 * start and end within the window are missed, which is why the servers keep their pools open.
 */
export async function cpuTimeOfPostgresMs(): Promise<number> {
  let total = 0;
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (stat.includes('(postgres)')) total += cpuMsOfStat(stat);
  }
  return total;
}

/** utime + stime of a /proc/PID/stat line, in ms (0 for an empty one). */
function cpuMsOfStat(stat: string): number {
  if (!stat) return 0;
  // Fields after the command name (which may hold spaces, hence the last ')'): utime and stime are the 12th and 13th, in clock ticks (100 a second).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** What one turn of load did, as the load generator saw it. */
export interface TurnResult {
  requests: number;
  /** The turn's length, first request sent to last answer received (or autocannon's own duration). */
  seconds: number;
  non2xx: number;
  p99: number;
}

/** A path's figures over all its turns. */
export interface LoadResult {
  rps: number;
  /** The median of the turns' p99s (autocannon gives percentiles per run, not mergeable ones). */
  p99: number;
  requests: number;
  non2xx: number;
  /** The server process's CPU time (user + system) per measured request, in µs. */
  cpuUs: number;
  /** PostgreSQL's CPU time per measured request, in µs: what the server's statements cost the database. */
  pgCpuUs: number;
  /** The load generator's (autocannon, this process) CPU time per measured request, in µs. */
  loadCpuUs: number;
}

/**
 * Runs `turn(i, round)` for each of the `servers` (one path each, by index), `rounds` times over,
 * and adds up what each path's turns cost its server, PostgreSQL and this process. The servers run
 * side by side (an idle one costs nothing) and take the load in turns, the order rotated each round:
 * a machine whose load drifts during the run (shared cores, a checkpoint, autovacuum) then weighs on
 * every path alike, instead of on whichever ran in the quiet or the busy part.
 */
export async function loadInTurns(servers: ServerProcess[], rounds: number, turn: (i: number, round: number) => Promise<TurnResult>): Promise<LoadResult[]> {
  const totals = servers.map(() => ({ requests: 0, seconds: 0, non2xx: 0, p99s: [] as number[], cpuMs: 0, pgMs: 0, loadUs: 0 }));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < servers.length; k++) {
      const i = (k + round) % servers.length;
      const server = servers[i]!;
      const [cpuBefore, pgBefore, loadBefore] = [await cpuTimeOfProcessMs(server.child.pid), await cpuTimeOfPostgresMs(), process.cpuUsage()];
      const result = await turn(i, round);
      const load = process.cpuUsage(loadBefore);
      const total = totals[i]!;
      total.cpuMs += (await cpuTimeOfProcessMs(server.child.pid)) - cpuBefore;
      total.pgMs += (await cpuTimeOfPostgresMs()) - pgBefore;
      total.loadUs += load.user + load.system;
      total.requests += result.requests;
      total.seconds += result.seconds;
      total.non2xx += result.non2xx;
      total.p99s.push(result.p99);
    }
  }
  return totals.map((t) => {
    const perRequest = (us: number) => Math.round(us / Math.max(t.requests, 1));
    const p99 = [...t.p99s].sort((a, b) => a - b)[Math.floor(t.p99s.length / 2)]!;
    return { rps: Math.round(t.requests / t.seconds), p99, requests: t.requests, non2xx: t.non2xx, cpuUs: perRequest(t.cpuMs * 1000), pgCpuUs: perRequest(t.pgMs * 1000), loadCpuUs: perRequest(t.loadUs) };
  });
}

export async function peakRssOfProcessMb(pid: number | undefined): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status);
    return kb ? Math.round(Number(kb[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}
