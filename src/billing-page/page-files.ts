import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A directory whose files the page may load, under `/billing/assets/<name>/`. */
export interface AssetRoot {
  name: string;
  dir: string;
  /** The module a bare import resolves to (the import map's target), relative to `dir`. */
  entry?: string;
}

export interface AssetFile {
  body: Buffer;
  contentType: string;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Only plain relative paths of the allowed kinds: no `..`, no dot files, no other extensions. */
const SAFE_PATH = /^(?:[A-Za-z0-9_-][A-Za-z0-9_.-]*\/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(?:js|mjs|css|map)$/;

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The page's own compiled files: `dist/billing-page/`, where `nest build` compiles the browser
 * sources (`billing-page/` at the repository's root) with SWC and copies the stylesheet. Found from
 * this module's place in the build (dist/src/billing-page/) or, when the service runs from its
 * TypeScript sources (Jest), in the repository's build output: the browser tests build first, as
 * the other suites do.
 */
export function pageDir(): string {
  const built = resolve(here, '..', '..', 'billing-page');
  if (existsSync(join(built, 'main.js'))) return built;
  return resolve(here, '..', '..', 'dist', 'billing-page');
}

/**
 * A package as Node would find it from here (the nearest `node_modules/<name>` up the tree), and
 * the file its `exports` give to `import` in a browser: the `import` or `default` condition, never
 * the `@billing/source` one (TypeScript sources are not for browsers).
 */
export function packageRoot(name: string): AssetRoot | undefined {
  if (!packages.has(name)) packages.set(name, findPackage(name));
  return packages.get(name);
}

/** Where a package is does not change while the process runs (its files may: they are read on each request). */
const packages = new Map<string, AssetRoot | undefined>();

function findPackage(name: string): AssetRoot | undefined {
  for (let dir = here; ; dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) {
      const root = dirname(realpathSync(manifest));
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: unknown; module?: string; main?: string };
      const entry = browserEntry(pkg);
      if (!entry) return undefined;
      const file = resolve(root, entry);
      return { name, dir: dirname(file), entry: file.slice(dirname(file).length + 1) };
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function browserEntry(pkg: { exports?: unknown; module?: string; main?: string }): string | undefined {
  let target: unknown = pkg.exports;
  if (target && typeof target === 'object' && '.' in target) target = (target as Record<string, unknown>)['.'];
  // Conditions in order of preference for a browser's `import`; nested condition objects are followed.
  for (let depth = 0; target && typeof target === 'object' && depth < 4; depth++) {
    const conditions = target as Record<string, unknown>;
    target = conditions.browser ?? conditions.import ?? conditions.default;
  }
  if (typeof target === 'string') return target;
  return pkg.module ?? pkg.main;
}

/** A file of an asset root, or undefined when the path is not one the page may load (404). */
export async function readAsset(root: AssetRoot, path: string): Promise<AssetFile | undefined> {
  if (!SAFE_PATH.test(path)) return undefined;
  const file = resolve(root.dir, path);
  if (!file.startsWith(root.dir + sep)) return undefined;
  let stats;
  try {
    stats = statSync(file);
  } catch {
    return undefined;
  }
  if (!stats.isFile()) return undefined;
  const body = await readFile(file);
  return { body, contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
}
