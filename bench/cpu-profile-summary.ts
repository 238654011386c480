/**
 * `node dist/bench/cpu-profile-summary.js FILE.cpuprofile [TOP] [SKIP_SECONDS]`: self time of a
 * `node --cpu-prof` profile (e.g. one written by a benchmark server under BENCH_CPU_PROF=DIR) by
 * package and by function, leaving out the first SKIP_SECONDS (the start-up: compiling modules,
 * migrations), so that a profile can be read without DevTools: where the CPU went, not where we guess.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<pkg> (scoped too), the service's own dist/ folder, node's internals, or V8's pseudo-frames ((gc), (idle)). */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return module[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  const own = /\/dist\/((?:src|bench)\/[^/]+)/.exec(url);
  return own ? own[1]! : url;
}

function main(): void {
  const [file, topArg, skipArg] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node dist/bench/cpu-profile-summary.js FILE.cpuprofile [TOP] [SKIP_SECONDS]');
    process.exit(2);
  }
  const top = Number(topArg ?? 40);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const skipUs = Number(skipArg ?? 0) * 1e6;
  const selfUs = new Map<number, number>();
  let at = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= skipUs) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });

  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  // Library and node time charged to the service's own function that called it (the nearest frame of
  // dist/src on the stack): what each piece of our code costs, its libraries included.
  const byOwnCaller = new Map<string, number>();
  const ownCallerOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
      const own = /\/dist\/(src\/.+)$/.exec(url);
      if (own) return `${functionName || '(anonymous)'} ${own[1]}:${lineNumber + 1}`;
    }
    return '(no own frame)';
  };
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${pkg}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const caller = ownCallerOf(id);
    byOwnCaller.set(caller, (byOwnCaller.get(caller) ?? 0) + us);
  }
  const print = (title: string, rows: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [name, us] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
    }
  };
  console.log(`busy ${(total / 1e6).toFixed(1)} s, idle ${(idle / 1e6).toFixed(1)} s after the first ${skipUs / 1e6} s`);
  print('self time by package', byPackage);
  print('self time by function', byFunction);
  print('time by the nearest own caller (its libraries included)', byOwnCaller);
}

main();
