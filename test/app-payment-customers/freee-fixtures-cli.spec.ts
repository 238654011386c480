import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type Stripe from 'stripe';
import { startStack, type Stack } from '../support/stack.js';
import { TEST_ADMIN_TOKEN, TEST_JWT_SECRET } from '../support/test-app.js';
import { issueKey, lookupGet, type AppPaymentCustomer } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built script (dist/, built by the global setup) with only the environment given, as `npm run freee-fixtures` does. */
function script(args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/scripts/freee-fixtures.js', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('npm run freee-fixtures', () => {
  let s: Stack;
  let env: Record<string, string>;
  beforeAll(async () => {
    s = await startStack();
    env = { STRIPE_SECRET_KEY: s.emulator.secretKey, STRIPE_API_BASE: s.emulator.url, ADMIN_TOKEN: TEST_ADMIN_TOKEN, JWT_SECRET: TEST_JWT_SECRET };
  });
  afterAll(() => s.close());

  it('creates the store objects, puts the prices in the catalog, starts the trial with the store customer; the lookup then shows all three companies', async () => {
    const companies = { trial: '4001001', contracted: '4001002', canceled: '4001003' };
    const run = script(['--service-url', s.baseUrl, '--trial-company', companies.trial, '--contracted-company', companies.contracted, '--canceled-company', companies.canceled, '--trial-quantity', '4'], env);
    // The stack applies webhooks only when told: keep applying them while the script waits for the link.
    let done = false;
    void run.then(() => (done = true));
    while (!done) {
      await s.settle();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const res = await run;
    expect(res).toMatchObject({ code: 0, stderr: '' });
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({
      stripe: s.emulator.url,
      companies,
      fixed_price: expect.stringMatching(/^price_/),
      metered_price: expect.stringMatching(/^price_/),
      tax_rate: expect.stringMatching(/^txr_/),
      customers: { trial: expect.stringMatching(/^cus_/), contracted: expect.stringMatching(/^cus_/), canceled: expect.stringMatching(/^cus_/) },
      subscriptions: { contracted: expect.stringMatching(/^sub_/), canceled: expect.stringMatching(/^sub_/) },
      service: { application_id: 'default', catalog_price_ids: [out.fixed_price, out.metered_price], trial: { trial_quantity: 4, stripe_customer_id: out.customers.trial, active: true } },
    });
    const customers = await s.stripe.customers.list({ limit: 100 });
    expect(customers.data).toHaveLength(3);
    const app = await s.admin(s.http().get('/admin/applications/default'));
    expect(app.body.price_ids).toEqual(expect.arrayContaining([out.fixed_price, out.metered_price]));

    await s.settle();
    const key = (await issueKey(s)).key;
    const lookup = await lookupGet(s, key, `company_id=${Object.values(companies).join(',')}`);
    expect(lookup.status).toBe(200);
    const byCompany = new Map((lookup.body.app_payment_customers as AppPaymentCustomer[]).map((c) => [c.company_id, c]));
    expect(byCompany.get(companies.trial)).toMatchObject({ stripe_customer_id: out.customers.trial, stripe_subscription_ids: [], trial_quantity: 4, status: 'trialing' });
    expect(byCompany.get(companies.contracted)).toMatchObject({ stripe_price_id: out.fixed_price, stripe_subscription_ids: [out.subscriptions.contracted], quantity: 1, status: 'active', contracted: true });
    expect(byCompany.get(companies.canceled)).toMatchObject({ stripe_subscription_ids: [out.subscriptions.canceled], status: 'canceled', contracted: false });
  });

  it('without --service-url only creates the Stripe objects; refuses live keys, a wrong admin token, bad arguments; --help', async () => {
    const before = (await s.stripe.customers.list({ limit: 100 })).data.length;
    const plain = await script([], env);
    expect(plain.code).toBe(0);
    const out = JSON.parse(plain.stdout);
    expect(out.service).toBeUndefined();
    expect(Object.values(out.companies as Record<string, string>).every((id) => /^\d{7}$/.test(id))).toBe(true);
    const sub = await s.stripe.subscriptions.retrieve(out.subscriptions.contracted);
    expect(sub.default_tax_rates!.map((r: Stripe.TaxRate) => r.id)).toEqual([out.tax_rate]);
    expect((await s.stripe.customers.list({ limit: 100 })).data.length).toBe(before + 3);

    const live = await script([], { ...env, STRIPE_SECRET_KEY: 'sk_live_0123456789abcdef' });
    expect(live).toMatchObject({ code: 1, stdout: '' });
    expect(live.stderr).toMatch(/refused: .*live key/);
    const wrongAdmin = await script(['--service-url', s.baseUrl], { ...env, ADMIN_TOKEN: 'not-the-service-admin-token' });
    expect(wrongAdmin).toMatchObject({ code: 1, stdout: '' });
    expect(wrongAdmin.stderr).toMatch(/admin token/);
    // Refused before anything was made.
    expect((await s.stripe.customers.list({ limit: 100 })).data.length).toBe(before + 3);

    expect((await script(['--bogus'], env)).code).toBe(2);
    expect((await script(['--service-url', 'not a url'], env)).code).toBe(2);
    expect((await script(['--connect-webhooks'], env)).code).toBe(2);
    expect((await script(['--trial-company', 'a;b'], env)).code).toBe(2);
    const help = await script(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run -s freee-fixtures');
  });
});
