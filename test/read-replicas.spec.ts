import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { createScratchDatabase, type ScratchDatabase } from '../scripts/support/scratch-database.js';
import { loadConfig } from '../src/infra/config/config.js';
import { issueKey, lookupMap } from './app-payment-customers/helpers.js';
import { startStack, type Stack } from './support/stack.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { usingPostgres } from './support/test-database.js';
import { authed, ownerToken, setCatalog, urls } from './subscriptions/helpers.js';

/**
 * Read replicas (DATABASE_REPLICA_URLS). A real streaming replica needs a second PostgreSQL server
 * and replication rights this machine's cluster does not grant, so the replica here is a copy of
 * the primary's database made with pg_dump, which a test can then make differ on purpose: an
 * answer carrying the replica's value came from the replica, one carrying the primary's from the
 * primary. What is checked is the routing a deployment relies on: features, the partner lookup and
 * the account's lists read the replica; an account's reads right after its own change, and every
 * write, go to the primary; a replica that cannot be reached costs nothing but its speed.
 */
describe('read replicas', () => {
  if (!usingPostgres()) {
    it('are refused on the embedded PGlite, which has none', () => {
      expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_REPLICA_URLS: 'postgres://replica:5432/billing' })).toThrow(/DATABASE_REPLICA_URLS needs DATABASE_URL/);
    });
    return;
  }

  let primary: Stack;
  let replica: ScratchDatabase;
  let reader: TestApp;
  let partnerKey: string;
  const A = 'REPLICA_A';
  const B = 'REPLICA_B';

  /** An account buys the price through checkout and pays; every webhook applied on the primary. */
  async function subscribe(account: string, priceId: string): Promise<void> {
    const checkout = await authed(primary.http().post('/api/subscriptions/stripe/checkout-session'), await ownerToken(account)).send({ price_id: priceId, quantity: 3, ...urls });
    expect(checkout.status).toBe(200);
    expect((await primary.payCheckout(checkout.body.id)).status).toBe('complete');
    await primary.settle();
  }

  const onReplica = async (statement: string) => {
    const client = new pg.Client({ connectionString: replica.url });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };

  const features = async (account: string) => {
    const res = await authed(reader.http().get('/api/subscriptions/features'), await ownerToken(account));
    expect(res.status).toBe(200);
    return (res.body.data as { lookup_key: string }[]).map((f) => f.lookup_key);
  };
  const quantities = async (account: string) => {
    const res = await authed(reader.http().get('/api/subscriptions'), await ownerToken(account));
    expect(res.status).toBe(200);
    return (res.body.data as { items: { quantity: number }[] }[]).flatMap((sub) => sub.items.map((i) => i.quantity));
  };

  beforeAll(async () => {
    primary = await startStack();
    const feature = await primary.stripe.entitlements.features.create({ name: 'Reports', lookup_key: 'reports' });
    const product = await primary.stripe.products.create({ name: 'Replica plan' });
    await primary.stripe.products.createFeature(product.id, { entitlement_feature: feature.id });
    const price = await primary.stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month' } });
    await setCatalog(primary, 'default', [price.id]);
    await primary.settle();
    await subscribe(A, price.id);
    await subscribe(B, price.id);
    partnerKey = (await issueKey(primary)).key;

    // The replica: the primary's database as it is now, then made to differ where a test looks.
    replica = await createScratchDatabase(process.env.DATABASE_URL!, 'billing_test');
    const dump = execFileSync('pg_dump', ['--no-owner', '--no-privileges', primary.config.DATABASE_URL], { maxBuffer: 256 * 1024 * 1024 });
    execFileSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', replica.url], { input: dump, stdio: ['pipe', 'ignore', 'inherit'] });
    await onReplica(`update subscription_items set quantity = 77`);
    await onReplica(`delete from product_features`);
    await onReplica(`delete from active_entitlements`);

    // A second instance of the deployment: same primary, reads from the replica.
    reader = await startTestApp(
      { STRIPE_SECRET_KEY: primary.emulator.secretKey, STRIPE_API_BASE: primary.emulator.url, WEBHOOK_WORKER_ENABLED: 'false', RECONCILER_ENABLED: 'false', DATABASE_REPLICA_URLS: replica.url, DATABASE_READ_YOUR_WRITES_MS: '60000' },
      {},
      { databaseUrl: primary.config.DATABASE_URL },
    );
  });
  afterAll(async () => {
    await reader?.close();
    await primary?.close();
    await replica?.drop();
  });

  it('answer features, the account lists and the partner lookup from the replica', async () => {
    // The primary grants "reports" and holds quantity 3; the replica was made to say otherwise.
    expect(await authed(primary.http().get('/api/subscriptions/features'), await ownerToken(A)).then((r) => r.body.data.map((f: { lookup_key: string }) => f.lookup_key))).toEqual(['reports']);
    expect(await features(A)).toEqual([]);
    expect(await quantities(A)).toEqual([77]);
    const lookup = await lookupMap({ ...primary, http: reader.http }, partnerKey, [A]);
    expect(lookup.get(A)?.quantity).toBe(77);
  });

  it("send an account's reads to the primary right after its own change, and only that account's", async () => {
    // A write by A through the reading instance (a sync of its subscriptions from Stripe): it runs on the primary.
    const sync = await authed(reader.http().post('/api/subscriptions/sync'), await ownerToken(A)).send({});
    expect(sync.status).toBe(200);
    expect(sync.body.data.flatMap((sub: { items: { quantity: number }[] }) => sub.items.map((i) => i.quantity))).toEqual([3]);
    // A now reads its own state from the primary; B, which changed nothing, still reads the replica.
    expect(await features(A)).toEqual(['reports']);
    expect(await quantities(A)).toEqual([3]);
    expect(await features(B)).toEqual([]);
    expect(await quantities(B)).toEqual([77]);
  });

  it('fall back to the primary when the replica cannot be reached, with no error to the reader', async () => {
    await onReplica(`select 1`);
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    const name = new URL(replica.url).pathname.slice(1);
    try {
      await admin.query(`alter database "${name}" allow_connections false`);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [name]);
      // Every read still answers, now with the primary's values.
      expect(await features(B)).toEqual(['reports']);
      expect(await quantities(B)).toEqual([3]);
      const lookup = await lookupMap({ ...primary, http: reader.http }, partnerKey, [B]);
      expect(lookup.get(B)?.quantity).toBe(3);
    } finally {
      await admin.query(`alter database "${name}" allow_connections true`);
      await admin.end();
    }
  });

  it('leave the config check to refuse a replica list without a primary', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: '', DATABASE_REPLICA_URLS: 'postgres://replica:5432/billing' })).toThrow(/DATABASE_REPLICA_URLS needs DATABASE_URL/);
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgres://primary:5432/billing', DATABASE_REPLICA_URLS: 'mysql://replica/billing' })).toThrow(/DATABASE_REPLICA_URLS/);
  });
});
