import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The seams of src/, checked on every run (README, Architecture): no file under src/infra imports a
 * domain module, folders import each other in no circle, and each table is written (insert, update,
 * delete) only by the module that owns it.
 */
const SRC = normalize(join(dirname(fileURLToPath(import.meta.url)), '..', 'src'));

/** The folder a file belongs to: `infra/<part>` below infra, else its top folder ('(root)' for src/*.ts). */
function folderOf(file: string): string {
  const parts = relative(SRC, file).split(/[\\/]/);
  if (parts.length === 1) return '(root)';
  if (parts[0] === 'infra') return parts.length > 2 ? `infra/${parts[1]}` : 'infra';
  return parts[0]!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

const files = sourceFiles(SRC).map((path) => ({ path, folder: folderOf(path), text: readFileSync(path, 'utf8') }));

/** Folder → the folders its files import (relative imports inside src/ only). */
const edges = new Map<string, Set<string>>();
for (const file of files) {
  for (const match of file.text.matchAll(/from '(\.[^']+)'/g)) {
    const target = normalize(join(dirname(file.path), match[1]!.replace(/\.js$/, '.ts')));
    if (!target.startsWith(SRC)) continue;
    const to = folderOf(target);
    if (to === file.folder) continue;
    if (!edges.has(file.folder)) edges.set(file.folder, new Set());
    edges.get(file.folder)!.add(to);
  }
}

/** Which module owns each table (README, Architecture). */
const OWNER: Record<string, string> = {
  merchants: 'tenancy',
  applications: 'tenancy',
  application_prices: 'tenancy',
  webhook_secrets: 'tenancy',
  partner_api_keys: 'tenancy',
  identities: 'identity',
  subscriptions: 'subscriptions',
  subscription_items: 'subscriptions',
  invoices: 'subscriptions',
  trials: 'subscriptions',
  products: 'entitlements',
  prices: 'entitlements',
  features: 'entitlements',
  product_features: 'entitlements',
  entitlement_summaries: 'entitlements',
  active_entitlements: 'entitlements',
  webhook_events: 'webhooks',
  reconcile_runs: 'reconciler',
  scheduled_runs: 'infra/scheduling',
  request_limits: 'infra/throttling',
  audit_records: 'audit',
};

describe('the architecture of src/', () => {
  it('no file under src/infra imports a domain module', () => {
    const leaks = [...edges].filter(([from]) => from.startsWith('infra')).flatMap(([from, to]) => [...to].filter((t) => !t.startsWith('infra')).map((t) => `${from} -> ${t}`));
    expect(leaks).toEqual([]);
  });

  it('folders import each other in no circle', () => {
    const cycles: string[] = [];
    const visit = (folder: string, path: string[]) => {
      for (const next of edges.get(folder) ?? []) {
        const at = path.indexOf(next);
        if (at >= 0) cycles.push([...path.slice(at), next].join(' -> '));
        else visit(next, [...path, next]);
      }
    };
    for (const folder of edges.keys()) visit(folder, [folder]);
    expect([...new Set(cycles)]).toEqual([]);
  });

  it('each table is written only by the module that owns it', () => {
    const strays: string[] = [];
    for (const file of files) {
      for (const match of file.text.matchAll(/\b(?:insert\s+into|update|delete\s+from)\s+"?([a-z_]+)"?\s/gi)) {
        const table = match[1]!.toLowerCase();
        const owner = OWNER[table];
        if (owner && owner !== file.folder) strays.push(`${relative(SRC, file.path)} writes ${table} (owned by ${owner})`);
      }
    }
    expect(strays).toEqual([]);
  });

  it('knows every table the migrations create', () => {
    const migrations = readdirSync(join(SRC, '..', 'migrations')).map((name) => readFileSync(join(SRC, '..', 'migrations', name), 'utf8')).join('\n');
    const created = [...migrations.matchAll(/create table "([a-z_]+)"/g)].map((m) => m[1]!).filter((t) => t !== 'mikro_orm_migrations');
    expect([...new Set(created)].sort()).toEqual(Object.keys(OWNER).sort());
  });
});
