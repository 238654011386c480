import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './support/spawn.js';
import { startTestApp } from './support/test-app.js';

/**
 * No Docker engine runs here, so the Dockerfile is checked against the repository instead: what
 * it copies exists (after `npm run build`, which the suite's global setup runs), .dockerignore
 * keeps the build's inputs, the image runs as a user other than root on Node 24, its command's
 * file is in dist/, and its HEALTHCHECK calls a route the service serves, and passes.
 */
interface Instruction {
  keyword: string;
  args: string;
}

function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** The stages, each with its instructions (FROM first). */
function stages(all: Instruction[]): { name: string; image: string; body: Instruction[] }[] {
  const out: { name: string; image: string; body: Instruction[] }[] = [];
  for (const instruction of all) {
    if (instruction.keyword === 'FROM') {
      const [image = '', , name = ''] = instruction.args.split(/\s+/);
      out.push({ name, image, body: [instruction] });
    } else out.at(-1)?.body.push(instruction);
  }
  return out;
}

/** A COPY's options, sources and destination (the shell form; paths here have no spaces). */
function copyParts(args: string): { from?: string; sources: string[] } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  return { from, sources: paths.slice(0, -1) };
}

/** Whether .dockerignore's patterns leave `path` out of the build context (patterns as this repository writes them: `**`, `*`, plain paths). */
function ignored(path: string, patterns: string[]): boolean {
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  return patterns.some((pattern) => {
    const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '(?:.*/)?').replace(/\*/g, '[^/]*')}$`);
    return prefixes.some((prefix) => regex.test(prefix));
  });
}

describe('the Dockerfile, against the repository', () => {
  const dockerfile = instructions(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  const all = stages(dockerfile);
  const build = all.find((s) => s.name === 'build')!;
  const runtime = all.at(-1)!;
  const ignorePatterns = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('builds on Node 24 in a build stage that installs, builds and prunes, and runs on Node 24', () => {
    expect(all.map((s) => s.image)).toEqual(['node:24-bookworm-slim', 'node:24-bookworm-slim']);
    for (const stage of all) expect(stage.image).toMatch(/^node:24(?:$|[-.@])/);
    const runs = build.body.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.join(' && ')).toMatch(/npm ci\b.*npm run -s build\b.*npm prune --omit=dev/);
  });

  it('copies into the build stage only files the repository has and .dockerignore keeps', () => {
    const sources = build.body.filter((i) => i.keyword === 'COPY').flatMap((i) => copyParts(i.args).sources);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect({ source, exists: existsSync(join(REPO_ROOT, source)) }).toEqual({ source, exists: true });
      if (source !== '.') expect({ source, ignored: ignored(source, ignorePatterns) }).toEqual({ source, ignored: false });
    }
    // What `npm run build` reads (tsconfig.build.json, nest-cli.json, the workspaces' builds) stays in the context.
    const inputs = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', '.swcrc', 'src/main.ts', 'migrations', 'scripts/migrate.ts', 'bench', 'billing-page', 'emulator/.swcrc', 'emulator/src/main.ts', 'emulator/tsconfig.json', 'client/src/index.ts', 'client/src/schema.d.ts', 'client/tsconfig.build.json'];
    for (const input of inputs) {
      expect({ input, exists: existsSync(join(REPO_ROOT, input)), ignored: ignored(input, ignorePatterns) }).toEqual({ input, exists: true, ignored: false });
    }
    // And what must not go in: installed or built trees, history, local secrets.
    for (const path of ['node_modules/x', 'emulator/node_modules/x', 'dist/src/main.js', 'emulator/dist/main.js', '.git/config', '.env']) expect({ path, ignored: ignored(path, ignorePatterns) }).toEqual({ path, ignored: true });
  });

  it('copies into the runtime stage what the build stage produced: production dependencies and the dist/ the tests run', () => {
    const workdir = build.body.find((i) => i.keyword === 'WORKDIR')!.args;
    const copies = runtime.body.filter((i) => i.keyword === 'COPY').map((i) => copyParts(i.args));
    expect(copies.length).toBeGreaterThan(0);
    const copied = copies.flatMap(({ from, sources }) => {
      expect(from).toBe('build');
      return sources.map((source) => {
        expect(source.startsWith(`${workdir}/`)).toBe(true);
        return source.slice(workdir.length + 1);
      });
    });
    for (const path of copied) expect({ path, exists: existsSync(join(REPO_ROOT, path)) }).toEqual({ path, exists: true });
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'node_modules', 'dist', 'client/dist', 'emulator/dist']));
  });

  it('runs as a user other than root the command node dist/src/main.js, on the port it exposes', () => {
    const users = runtime.body.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const cmd = JSON.parse(runtime.body.filter((i) => i.keyword === 'CMD').at(-1)!.args) as string[];
    expect(cmd).toEqual(['node', 'dist/src/main.js']);
    expect(existsSync(join(REPO_ROOT, cmd[1]!))).toBe(true);
    expect(runtime.body.find((i) => i.keyword === 'EXPOSE')?.args).toBe('3000');
    expect(runtime.body.find((i) => i.keyword === 'ENV')?.args).toMatch(/\bPORT=3000\b/);
  });

  it("checks its health with a route of the OpenAPI document, and the check passes against the running service", async () => {
    const healthcheck = runtime.body.find((i) => i.keyword === 'HEALTHCHECK')!.args;
    const command = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim()) as string[];
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    const path = /'(\/[^']*)'/.exec(command[2]!)?.[1];
    expect(path).toBe('/health/ready');
    const document = JSON.parse(readFileSync(join(REPO_ROOT, 'openapi/openapi.json'), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    expect(document.paths[path!]?.get).toBeDefined();

    const t = await startTestApp({ RECONCILER_ENABLED: 'false' });
    try {
      const port = new URL(t.baseUrl).port;
      // The image's own command, with the test service's port.
      await expect(promisify(execFile)(command[0]!, command.slice(1), { env: { ...process.env, PORT: port } })).resolves.toBeDefined();
    } finally {
      await t.close();
    }
  });

  it('compose.yaml runs files that exist in the image: the service, the migrations, the emulator', () => {
    const compose = readFileSync(join(REPO_ROOT, 'compose.yaml'), 'utf8');
    const files = [...compose.matchAll(/\["node", "([^"]+\.js)"/g)].map((m) => m[1]!);
    expect(files).toEqual(expect.arrayContaining(['dist/scripts/migrate.js', 'emulator/dist/main.js']));
    for (const file of files) expect({ file, exists: existsSync(join(REPO_ROOT, file)) }).toEqual({ file, exists: true });
  });
});
