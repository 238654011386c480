import { createHash } from 'node:crypto';
import { accessSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { EntityManager, MikroORM } from '@mikro-orm/core';
import type { INestApplication } from '@nestjs/common';
import type Stripe from 'stripe';
import { DATABASE_SCHEMA } from './database-schema.js';
import { CatalogSyncService } from './entitlements/catalog-sync.service.js';
import type { AppConfig } from './infra/config/config.js';
import { ormOptions } from './infra/database/orm-options.js';
import { exec } from './infra/database/sql.js';
import { IdentityService } from './identity/identity.service.js';
import { ReconcilerService } from './reconciler/reconciler.service.js';
import { StripeGateway } from './infra/stripe/stripe.gateway.js';
import { ApplicationsService } from './tenancy/applications.service.js';
import type { UpdateApplicationDto } from './tenancy/tenancy.dto.js';

/**
 * Points a Stripe account's webhooks at an application of this service: creates two webhook
 * endpoints through the Stripe API, since Stripe sends the platform's own events only to an
 * endpoint made without `connect` and connected accounts' events only to one made with it (a
 * merchant may be either), and stores the two signing secrets Stripe returns as the application's
 * only secrets, both current. Endpoints of the same URL made by an earlier start are replaced, so
 * that restarts against an emulator that outlives them (STRIPE_API_BASE) do not pile up endpoints
 * whose old secrets fail every delivery. Local mode does this for the default application so that
 * checkout → webhook → features works with no set-up; the same call works against a Stripe test
 * account. Returns the ids of the platform endpoint and of the Connect endpoint.
 */
export async function connectWebhookEndpoint(app: INestApplication, baseUrl: string, applicationId: string): Promise<{ platform: string; connect: string }> {
  const gateway = app.get(StripeGateway);
  const url = `${baseUrl}/api/applications/${applicationId}/subscriptions/stripe/webhook`;
  const earlier = await gateway.call('webhookEndpoints.list', (s) => s.webhookEndpoints.list({ limit: 100 }).autoPagingToArray({ limit: 1000 }));
  for (const old of earlier.filter((e) => e.url === url)) await gateway.call('webhookEndpoints.del', (s) => s.webhookEndpoints.del(old.id));
  const create = (connect: boolean) =>
    gateway.call('webhookEndpoints.create', (s) =>
      s.webhookEndpoints.create({ url, enabled_events: ['*'], connect, description: `billing-service ${applicationId}${connect ? ' (Connect)' : ''}` }),
    );
  const platform = await create(false);
  const connect = await create(true);
  await app.get(ApplicationsService).replaceWebhookSecrets(applicationId, [platform.secret!, connect.secret!], 0);
  return { platform: platform.id, connect: connect.id };
}

/**
 * The service's own addresses (`http://localhost:PORT` and `http://127.0.0.1:PORT`) become allowed
 * origins of the default application, so that the billing page it serves at `/billing` can send
 * Stripe's checkout and portal back to itself, whatever port this start listens on.
 */
export async function allowOwnOrigins(app: INestApplication, applicationId: string, port: number): Promise<string[]> {
  const origins = [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
  await app.get(ApplicationsService).ensureDefaults(applicationId, { localOrigins: origins });
  return origins;
}

/**
 * The bundled emulator starts empty at every start, while a database that lasts (DATA_DIR, or
 * PostgreSQL) still holds what the previous start's emulator had: customers linked to accounts and
 * subscriptions granting features. Left alone, an account would keep features Stripe no longer
 * knows of, be told it is already subscribed, and be sent to checkout with a customer Stripe does
 * not have. So, as Stripe would report them: the customers are marked deleted (the next purchase
 * makes a new one) and a reconcile that may delete removes the subscriptions. The service's own
 * configuration (merchants, applications, keys, catalogs) is kept.
 */
export async function forgetPreviousEmulator(app: INestApplication): Promise<{ customers: number; subscriptions: number }> {
  const em = app.get(EntityManager).fork();
  // A read across owners (identities belong to the identity module), for local mode only: no
  // service lists every customer, since nothing else ever needs them all.
  const rows = await exec<{ stripe_account: string; stripe_customer_id: string }>(em, 'select stripe_account, stripe_customer_id from identities where deleted_at is null');
  if (rows.length === 0) return { customers: 0, subscriptions: 0 };
  const byAccount = new Map<string, string[]>();
  for (const row of rows) byAccount.set(row.stripe_account, [...(byAccount.get(row.stripe_account) ?? []), row.stripe_customer_id]);
  const identities = app.get(IdentityService);
  const now = new Date();
  await em.transactional(async (tx) => {
    for (const [account, ids] of byAccount) await identities.markDeleted(tx, account, ids, now);
  });
  const { done } = await app.get(ReconcilerService).start({ scope: 'platform', allowDeletes: true, trigger: 'cli' });
  const run = await done;
  return { customers: rows.length, subscriptions: run.deleted };
}

// ---------------------------------------------------------------------------------------------
// The demo catalog (LOCAL_DEMO_CATALOG)

/** What local mode puts in Stripe (the emulator) on first start: found again by these ids and lookup keys. */
export const DEMO_CATALOG = {
  product: { id: 'prod_demo_plan', name: 'Demo Plan', description: 'Made by local mode (LOCAL_DEMO_CATALOG) to try a purchase', metadata: { name_ja: 'デモプラン' } },
  features: [
    { lookup_key: 'demo_reports', name: 'Reports', metadata: { name_ja: 'レポート' } },
    { lookup_key: 'demo_api_access', name: 'API access', metadata: { name_ja: 'API アクセス' } },
  ],
  prices: [
    { lookup_key: 'demo_plan_monthly', currency: 'jpy', unit_amount: 1000, interval: 'month' },
    { lookup_key: 'demo_plan_yearly', currency: 'jpy', unit_amount: 10000, interval: 'year' },
  ],
} as const;

export interface DemoCatalogView {
  product: { id: string; name: string };
  prices: { id: string; unit_amount: number; currency: string; interval: string }[];
  features: string[];
}

/**
 * Gives the application a catalog to buy from on first start in local mode. An application whose
 * catalog is empty gets the demo product, prices and features (made in Stripe when missing, found
 * by id and lookup key otherwise, so a restart against the same emulator duplicates nothing),
 * copied into the catalog mirror by the catalog sync and listed through ApplicationsService like
 * an admin's edit. Catalog entries Stripe no longer has are dropped first: the bundled emulator
 * keeps nothing across restarts while DATA_DIR keeps the catalog that named its prices.
 * Returns the demo catalog when the application sells it.
 */
export async function ensureDemoCatalog(app: INestApplication, applicationId: string): Promise<DemoCatalogView | undefined> {
  const gateway = app.get(StripeGateway);
  const applications = app.get(ApplicationsService);
  const { merchant } = await applications.getApplicationWithMerchant(applicationId);
  const options = gateway.options(merchant);
  const stripePrices = await gateway.call('prices.list', (s) => s.prices.list({ limit: 100 }, options).autoPagingToArray({ limit: 10_000 }));
  const inStripe = new Set(stripePrices.map((p) => p.id));
  const catalog = await applications.catalogPriceIds(applicationId);
  const live = catalog.filter((id) => inStripe.has(id));
  const update = (priceIds: string[]) => applications.updateApplication(applicationId, { price_ids: priceIds } as UpdateApplicationDto);

  const demoPrices = new Map(stripePrices.filter((p) => p.lookup_key && DEMO_LOOKUP_KEYS.includes(p.lookup_key)).map((p) => [p.lookup_key!, p]));
  if (live.length > 0) {
    if (live.length < catalog.length) await update(live);
    const sold = [...demoPrices.values()].filter((p) => live.includes(p.id));
    return sold.length > 0 ? describeDemo(sold) : undefined;
  }

  const features = await gateway.call('entitlements.features.list', (s) => s.entitlements.features.list({ limit: 100 }, options).autoPagingToArray({ limit: 10_000 }));
  const demoFeatures: Stripe.Entitlements.Feature[] = [];
  for (const wanted of DEMO_CATALOG.features) {
    const found = features.find((f) => f.lookup_key === wanted.lookup_key);
    demoFeatures.push(found ?? (await gateway.call('entitlements.features.create', (s) => s.entitlements.features.create({ ...wanted }, options))));
  }
  const { id: productId, ...product } = DEMO_CATALOG.product;
  const existing = await gateway.call('products.list', (s) => s.products.list({ ids: [productId], limit: 1 }, options));
  if (existing.data.length === 0) await gateway.call('products.create', (s) => s.products.create({ id: productId, ...product }, options));
  const links = await gateway.call('products.listFeatures', (s) => s.products.listFeatures(productId, { limit: 100 }, options).autoPagingToArray({ limit: 1000 }));
  for (const feature of demoFeatures) {
    if (!links.some((l) => l.entitlement_feature.id === feature.id)) {
      await gateway.call('products.createFeature', (s) => s.products.createFeature(productId, { entitlement_feature: feature.id }, options));
    }
  }
  for (const wanted of DEMO_CATALOG.prices) {
    if (demoPrices.has(wanted.lookup_key)) continue;
    const price = await gateway.call('prices.create', (s) =>
      s.prices.create({ product: productId, currency: wanted.currency, unit_amount: wanted.unit_amount, recurring: { interval: wanted.interval }, lookup_key: wanted.lookup_key }, options),
    );
    demoPrices.set(wanted.lookup_key, price);
  }
  // The mirror first: the catalog's prices are checked against it, and the page shows names from it.
  await app.get(CatalogSyncService).sync(merchant.id);
  const sold = DEMO_CATALOG.prices.map((p) => demoPrices.get(p.lookup_key)!);
  await update(sold.map((p) => p.id));
  return describeDemo(sold);
}

const DEMO_LOOKUP_KEYS: readonly string[] = DEMO_CATALOG.prices.map((p) => p.lookup_key);

function describeDemo(prices: Stripe.Price[]): DemoCatalogView {
  return {
    product: { id: DEMO_CATALOG.product.id, name: DEMO_CATALOG.product.name },
    prices: prices.map((p) => ({ id: p.id, unit_amount: p.unit_amount ?? 0, currency: p.currency, interval: p.recurring?.interval ?? 'once' })),
    features: DEMO_CATALOG.features.map((f) => f.lookup_key),
  };
}

// ---------------------------------------------------------------------------------------------
// Embedded PGlite from a template

/** Temporary databases: `billing-pglite-<pid>-…` in temporaryRoot(). */
const TEMPORARY_PREFIX = 'billing-pglite-';

export interface EmbeddedDatabase {
  /** The configuration to start with: DATA_DIR set to the temporary copy when there was none. */
  config: AppConfig;
  /** The temporary folder (the default, keep-nothing database): remove it at exit. */
  temporaryDir?: string;
}

/**
 * Makes embedded PGlite start in well under a second instead of running initdb (seconds of WASM on
 * every start without DATA_DIR, and on the first with one): a new database is a copy of a template
 * cluster, made once and kept in node_modules/.cache, that already holds the migrations. Without
 * DATA_DIR the copy goes to a temporary folder (in memory where the system has /dev/shm) removed at exit (data is lost at exit, as before);
 * an empty or missing DATA_DIR receives the copy; an existing database is opened as it is. When
 * anything here fails the service starts the usual way (PGlite runs initdb), only slower.
 */
export async function prepareEmbeddedDatabase(config: AppConfig): Promise<EmbeddedDatabase> {
  if (config.DATABASE_URL) return { config };
  const target = config.DATA_DIR ? resolve(config.DATA_DIR) : undefined;
  if (target && existsSync(target) && readdirSync(target).length > 0) return { config };
  removeAbandonedCopies();
  let template: string;
  try {
    template = await pgliteTemplate();
  } catch {
    return { config };
  }
  if (!target) {
    const dir = mkdtempSync(join(temporaryRoot(), `${TEMPORARY_PREFIX}${process.pid}-`));
    try {
      cpSync(template, dir, { recursive: true });
    } catch {
      rmSync(dir, { recursive: true, force: true });
      return { config };
    }
    return { config: { ...config, DATA_DIR: dir }, temporaryDir: dir };
  }
  // Copied beside the target and renamed onto it, so that a copy cut short never looks like a database.
  const partial = `${target}.partial-${process.pid}`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    cpSync(template, partial, { recursive: true });
    if (existsSync(target)) rmSync(target, { recursive: true });
    renameSync(partial, target);
  } catch {
    rmSync(partial, { recursive: true, force: true });
  }
  return { config };
}

/**
 * Where the temporary database goes: shared memory (/dev/shm) where the system has it, since it is
 * lost at exit anyway and a 40 MB copy to a slow disk costs most of a second; the system's
 * temporary folder otherwise.
 */
export function temporaryRoot(): string {
  const shm = '/dev/shm';
  try {
    accessSync(shm, constants.W_OK);
    return shm;
  } catch {
    return tmpdir();
  }
}

/** Temporary copies whose process is gone (killed without its exit handler): removed at the next start. */
function removeAbandonedCopies(): void {
  for (const root of new Set([temporaryRoot(), tmpdir()])) {
    for (const name of safeList(root)) {
      const pid = Number(new RegExp(`^${TEMPORARY_PREFIX}(\\d+)-`).exec(name)?.[1]);
      if (pid && pid !== process.pid && !isAlive(pid)) rmSync(join(root, name), { recursive: true, force: true });
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The template cluster for this PGlite and these migrations (its folder name holds a hash of both,
 * so that an upgrade or a new migration makes a new one). Built in a folder of its own and renamed
 * into place, so that two starts at once never see half a template.
 */
export async function pgliteTemplate(): Promise<string> {
  const root = cacheRoot();
  const dir = join(root, `pglite-template-${templateKey()}`);
  if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  const building = mkdtempSync(join(root, '.building-'));
  try {
    // Quiet: its migration lines would come before the service's own logger is set up.
    const orm = await MikroORM.init({ ...ormOptions({ DATABASE_URL: '', DATA_DIR: building, DATABASE_POOL_MAX: 1 }, DATABASE_SCHEMA), logger: () => undefined });
    try {
      await orm.migrator.up();
    } finally {
      await orm.close(true);
    }
    renameSync(building, dir);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    // Another start finished the same template first.
    if (existsSync(join(dir, 'PG_VERSION'))) return dir;
    throw error;
  }
  return dir;
}

/** node_modules/.cache/billing-service (the convention of build tools' caches), or the system's temporary folder. */
function cacheRoot(): string {
  const require = createRequire(import.meta.url);
  const candidates = [join(dirname(dirname(dirname(require.resolve('@mikro-orm/pglite')))), '.cache', 'billing-service'), join(tmpdir(), 'billing-service-cache')];
  for (const candidate of candidates) {
    try {
      mkdirSync(candidate, { recursive: true });
      return candidate;
    } catch {
      // read-only node_modules: the next candidate
    }
  }
  throw new Error('no writable cache folder');
}

function templateKey(): string {
  const require = createRequire(import.meta.url);
  const driver = require.resolve('@mikro-orm/pglite');
  const pglite = createRequire(driver).resolve('@electric-sql/pglite');
  const versions = [packageVersion(driver, '@mikro-orm/pglite'), packageVersion(pglite, '@electric-sql/pglite')];
  const migrations = DATABASE_SCHEMA.migrations.map((m) => [m.name, String(m.class)]);
  return createHash('sha256').update(JSON.stringify([versions, migrations])).digest('hex').slice(0, 16);
}

/** The version in the package.json of the package a resolved file belongs to. */
function packageVersion(file: string, name: string): string {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
    if (parsed.name === name) return parsed.version ?? '?';
  }
  return basename(file);
}
