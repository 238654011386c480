/**
 * `npm run -s freee-fixtures -- [--service-url URL] [...]`: creates, in the configured Stripe (a
 * running emulator or a Stripe test account), the customers and subscriptions the freee app store
 * creates (seed 004; scripts/fixtures/freee-store.ts), prints their ids as JSON,
 * and with --service-url also puts the prices in the application's catalog and starts the trial
 * company's platform trial, so that the partner lookup has all three kinds of company to show.
 */
import { randomInt } from 'node:crypto';
import Stripe from 'stripe';
import { parseCliArgs, Refusal, runCli, UsageError } from '../src/cli/cli-kit.js';
import { mintDevToken } from '../src/cli/dev-token.js';
import { loadConfig, type AppConfig } from '../src/infra/config/config.js';
import { createFreeeCatalog, reproduceFreeeStore, type FreeeCompanies } from './fixtures/freee-store.js';

/** The emulator's default key (npm run emulator), used when only STRIPE_API_BASE is set, as the service does. */
const EMULATOR_KEY = 'sk_test_emulator';

const HELP = `Usage: npm run -s freee-fixtures -- [options]

Creates in the configured Stripe what the freee app store creates (seed 004): a product with a
fixed and a metered monthly price (its billing meter: event freee_app_usage, summed) and a 10 %
tax rate; a trial company's customer; a contracted
company's customer (address, phone, preferred_locales ja) with a subscription of the fixed price
(quantity 1) and the metered price, with default_tax_rates; and a canceled company's subscription
(canceled with invoice_now=false, prorate=false). Every customer carries f_company_id in its
metadata, which is how the service links it to the company. Prints the ids as JSON on stdout.

Stripe: STRIPE_SECRET_KEY and STRIPE_API_BASE, as the service reads them. Against a running
emulator (npm run emulator -- --port 12111):
  STRIPE_API_BASE=http://127.0.0.1:12111 npm run -s freee-fixtures
Against a Stripe test account: STRIPE_SECRET_KEY=sk_test_... (live keys are refused).

Options:
  --service-url URL          also, on a running service: add the two prices to the application's
                             catalog (admin API, ADMIN_TOKEN), wait until the service has linked
                             the trial company's customer (its webhooks must reach the service), and
                             start that company's platform trial (account API, a token signed with
                             JWT_SECRET as npm run token does)
  --connect-webhooks         with --service-url: first create a webhook endpoint in this Stripe for
                             the service's URL and give its secret to the application (admin API);
                             for an emulator, or a test account that can reach the service
  --application ID           the application (default: DEFAULT_APPLICATION_ID)
  --trial-company ID         company ids (freee company_id; default: random 7-digit numbers)
  --contracted-company ID
  --canceled-company ID
  --trial-quantity N         seats of the platform trial (default 3)
  --wait SECONDS             how long to wait for the service to link the trial customer (default 30)
  -h, --help                 this text

Exit codes: 0 done, 1 refused or failed, 2 bad arguments.
`;

interface Options {
  serviceUrl?: URL;
  connectWebhooks: boolean;
  application?: string;
  companies: FreeeCompanies;
  trialQuantity: number;
  waitSeconds: number;
}

const COMPANY_ID = /^[A-Za-z0-9_.:-]{1,255}$/;

function parse(argv: string[]): Options | 'help' {
  const { values } = parseCliArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      'service-url': { type: 'string' },
      'connect-webhooks': { type: 'boolean' },
      application: { type: 'string' },
      'trial-company': { type: 'string' },
      'contracted-company': { type: 'string' },
      'canceled-company': { type: 'string' },
      'trial-quantity': { type: 'string' },
      wait: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  let serviceUrl: URL | undefined;
  if (values['service-url'] !== undefined) {
    try {
      serviceUrl = new URL(values['service-url']);
    } catch {
      throw new UsageError('--service-url must be a URL such as http://localhost:3000');
    }
    if (serviceUrl.protocol !== 'http:' && serviceUrl.protocol !== 'https:') throw new UsageError('--service-url must be an http(s) URL');
  }
  if (values['connect-webhooks'] && !serviceUrl) throw new UsageError('--connect-webhooks needs --service-url');
  const random = () => String(randomInt(1_000_000, 10_000_000));
  const company = (name: string, value: string | undefined) => {
    const id = value?.trim() ?? random();
    if (!COMPANY_ID.test(id)) throw new UsageError(`--${name} must be 1 to 255 letters, digits, _ . : or -`);
    return id;
  };
  const companies = {
    trial: company('trial-company', values['trial-company']),
    contracted: company('contracted-company', values['contracted-company']),
    canceled: company('canceled-company', values['canceled-company']),
  };
  if (new Set(Object.values(companies)).size !== 3) throw new UsageError('the three company ids must differ');
  const int = (name: string, raw: string | undefined, fallback: number, max: number) => {
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
    return Number(raw);
  };
  const application = values.application?.trim();
  if (values.application !== undefined && !application) throw new UsageError('--application must not be empty');
  return {
    ...(serviceUrl ? { serviceUrl } : {}),
    connectWebhooks: values['connect-webhooks'] ?? false,
    ...(application ? { application } : {}),
    companies,
    trialQuantity: int('trial-quantity', values['trial-quantity'], 3, 10_000),
    waitSeconds: int('wait', values.wait, 30, 3600),
  };
}

function stripeClient(config: AppConfig): { stripe: Stripe; target: string } {
  const key = config.STRIPE_SECRET_KEY || (config.STRIPE_API_BASE ? EMULATOR_KEY : '');
  if (!key) throw new Refusal('no Stripe to write to: set STRIPE_API_BASE to a running emulator (npm run emulator -- --port 12111), or STRIPE_SECRET_KEY to a test key');
  if (/^(sk|rk)_live_/.test(key)) throw new Refusal('STRIPE_SECRET_KEY is a live key: fixtures are made in test mode or in the emulator only');
  const base = config.STRIPE_API_BASE ? new URL(config.STRIPE_API_BASE) : undefined;
  const stripe = new Stripe(key, {
    telemetry: false,
    maxNetworkRetries: 2,
    appInfo: { name: 'billing-service freee-fixtures' },
    ...(base ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol.replace(':', '') as 'http' | 'https' } : {}),
  });
  return { stripe, target: base ? base.origin : 'https://api.stripe.com' };
}

/** The service's HTTP API, as a client would call it. */
class Service {
  constructor(
    private readonly base: URL,
    private readonly adminToken: string,
  ) {}

  async call<T>(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.base), {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new Refusal(`the service at ${this.base.origin} cannot be reached: ${(error as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed as T };
  }

  async admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, this.adminToken, body);
    if (res.status === 401) throw new Refusal(`the service refused the admin token (${method} ${path}): ADMIN_TOKEN must be the service's`);
    if (res.status >= 300) throw new Refusal(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

function accountToken(config: AppConfig, accountId: string, applicationId: string): Promise<string> {
  return mintDevToken(config, { acc: accountId, roles: [config.JWT_OWNER_ROLE], app: applicationId, ttl: 600 });
}

async function main(argv: string[]): Promise<number> {
  const options = parse(argv);
  if (options === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const config = loadConfig();
  const { stripe, target } = stripeClient(config);
  const applicationId = options.application ?? config.DEFAULT_APPLICATION_ID;
  const service = options.serviceUrl ? new Service(options.serviceUrl, config.ADMIN_TOKEN) : undefined;
  if (service) {
    if (config.JWT_JWKS_URL) throw new Refusal('JWT_JWKS_URL is set: the service only accepts tokens from the identity provider, so this script cannot start the trial');
    if (config.NODE_ENV === 'production') throw new Refusal('NODE_ENV is production: fixtures are for development and tests');
    // Fails early (and before anything is created in Stripe) on a wrong admin token or application.
    await service.admin('GET', `/admin/applications/${encodeURIComponent(applicationId)}`);
  }
  let webhookEndpoint: string | undefined;
  if (service && options.connectWebhooks) {
    // Before the customers are made: their customer.created events are what link them to the companies.
    const url = new URL(`/api/applications/${encodeURIComponent(applicationId)}/subscriptions/stripe/webhook`, options.serviceUrl).toString();
    const endpoint = await stripe.webhookEndpoints.create({ url, enabled_events: ['*'], description: `billing-service ${applicationId} (freee-fixtures)` });
    await service.admin('POST', `/admin/applications/${encodeURIComponent(applicationId)}/webhook-secret/rotate`, { secret: endpoint.secret, overlap_hours: 24 });
    webhookEndpoint = endpoint.id;
  }

  const catalog = await createFreeeCatalog(stripe);
  const fixtures = await reproduceFreeeStore(stripe, options.companies, catalog);
  const output: Record<string, unknown> = {
    stripe: target,
    companies: options.companies,
    product: catalog.product.id,
    fixed_price: catalog.fixedPrice.id,
    metered_price: catalog.meteredPrice.id,
    tax_rate: catalog.taxRate.id,
    customers: { trial: fixtures.trialCustomer.id, contracted: fixtures.contractedCustomer.id, canceled: fixtures.canceledCustomer.id },
    subscriptions: { contracted: fixtures.contractedSubscription.id, canceled: fixtures.canceledSubscription.id },
  };

  if (service) {
    const appPath = `/admin/applications/${encodeURIComponent(applicationId)}`;
    const app = await service.admin<{ price_ids: string[] }>('GET', appPath);
    const priceIds = [...new Set([...(app.price_ids ?? []), catalog.fixedPrice.id, catalog.meteredPrice.id])];
    await service.admin('PATCH', appPath, { price_ids: priceIds });

    // The trial must use the store's customer: wait until the service has linked it to the company.
    const token = await accountToken(config, options.companies.trial, applicationId);
    const headers = { 'x-application-id': applicationId };
    const deadline = Date.now() + options.waitSeconds * 1000;
    for (;;) {
      const identity = await service.call<{ stripe_customer_id?: string }>('GET', '/api/subscriptions/identity', token, undefined, headers);
      if (identity.status === 401) throw new Refusal('the service refused the account token: JWT_SECRET must be the service\'s');
      if (identity.status === 200 && identity.body.stripe_customer_id === fixtures.trialCustomer.id) break;
      if (Date.now() > deadline) {
        throw new Refusal(
          `the service has not linked customer ${fixtures.trialCustomer.id} to company ${options.companies.trial} after ${options.waitSeconds} s: ` +
            "its webhooks from this Stripe do not reach it (use --connect-webhooks, or point the Stripe account's endpoint at the service); " +
            'the trial was not started so that it does not make a second customer',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const trial = await service.call<Record<string, unknown>>('POST', '/api/subscriptions/trial', token, { price_id: catalog.fixedPrice.id, quantity: options.trialQuantity }, headers);
    if (trial.status !== 200) throw new Refusal(`starting the trial: ${trial.status} ${JSON.stringify(trial.body)}`);
    output.service = {
      url: options.serviceUrl!.origin,
      application_id: applicationId,
      ...(webhookEndpoint ? { webhook_endpoint: webhookEndpoint } : {}),
      catalog_price_ids: priceIds,
      trial: trial.body,
      lookup: `${options.serviceUrl!.origin}/api/applications/${applicationId}/app-payment-customers?company_id=${Object.values(options.companies).join(',')}`,
    };
  }
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  return 0;
}

// Not exitWhenDone: nothing is left running, and stdout gets flushed before the end.
runCli(main, { usageHint: 'see --help' });
