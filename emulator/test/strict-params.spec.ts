// Stripe refuses parameters it does not know (400 invalid_request_error / parameter_unknown, `param`
// the full bracketed path); so does the emulator, on every endpoint it implements, from the table
// the SDK's own request types give (scripts/known-params.mjs → src/http/known-params.generated.ts).
// A parameter Stripe knows that the route's handler does not model is refused as well
// (parameter_not_modeled), from the list each route declares next to its handler.
import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { emulatorRoutes, generate, OUTPUT } from '../scripts/known-params.mjs';
import { Params, type ReadLog } from '../src/http/params.js';
import { CHECK_READS, knownParams, knownTemplate, modeledTree, pathSegments, settleReads, type ModeledTree, type ParamTree } from '../src/http/strict-params.js';
import { RouteTables, type ApiRoute } from '../src/http/routes.js';
import { registerApiRoutes } from '../src/resources/index.js';
import { catalog, harness, type Harness } from './helpers.js';

let h: Harness;
let routes: string[];
let entries: { method: string; pattern: string; handler: ApiRoute }[];

beforeAll(async () => {
  h = await harness();
  // The emulator's real route table, not a copy: a route added later is covered by these tests.
  const tables = new RouteTables();
  registerApiRoutes(h.emu.emulator, tables.api);
  routes = tables.api.list();
  entries = tables.api.entries();
});
afterAll(() => h.stop());

async function raw(method: string, path: string, params: string): Promise<{ status: number; body: any }> {
  const get = method !== 'POST';
  const res = await fetch(`${h.emu.url}${path}${get && params ? `?${params}` : ''}`, {
    method,
    headers: { Authorization: `Bearer ${h.emu.secretKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: get ? undefined : params,
  });
  return { status: res.status, body: await res.json() };
}

function unknown(param: string) {
  return {
    status: 400,
    body: { error: expect.objectContaining({ type: 'invalid_request_error', code: 'parameter_unknown', param, message: `Received unknown parameter: ${param}` }) },
  };
}

async function sdkError(call: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await call;
  } catch (e) {
    return e as Stripe.errors.StripeError;
  }
  throw new Error('expected the call to fail');
}

function notModeled(param: string, route: string) {
  return {
    status: 400,
    body: {
      error: expect.objectContaining({
        type: 'invalid_request_error',
        code: 'parameter_not_modeled',
        param,
        message: `The Stripe emulator does not model parameter ${param} of ${route} (Stripe accepts it), so it refuses it rather than ignore it; see the emulator's README ("Differences from Stripe").`,
      }),
    },
  };
}

/** The first parameter (bracketed path) Stripe knows for the route that its declared list does not cover, if any. */
function unmodeledParam(known: ParamTree, modeled: ModeledTree, prefix = ''): string | undefined {
  if (known === 1 || modeled === 1) return undefined;
  for (const [key, child] of Object.entries(known)) {
    if (key === '*') continue;
    const param = prefix ? `${prefix}[${key}]` : key;
    const m = modeled[key];
    if (m === undefined) return param;
    const deeper = unmodeledParam(child, m, param);
    if (deeper) return deeper;
  }
  return undefined;
}

/** The first parameter of a tree whose value is an object with named keys, as a bracketed path. */
function nestedParam(tree: ParamTree): string | undefined {
  if (tree === 1) return undefined;
  for (const [key, child] of Object.entries(tree)) {
    if (child !== 1 && Object.keys(child).some((k) => k !== '*')) return key;
  }
  return undefined;
}

describe('the known-parameter table', () => {
  it('is what scripts/known-params.mjs makes of the installed stripe SDK (run `npm run generate:known-params -w @billing/stripe-emulator`)', () => {
    const { text, missing } = generate();
    expect(missing).toEqual([]);
    expect(readFileSync(OUTPUT, 'utf8')).toBe(text);
  });

  it('covers every route of the emulator, and the generator finds the same routes as the router', () => {
    expect([...routes].sort()).toEqual(emulatorRoutes());
    expect(routes.filter((r) => knownParams(r.split(' ')[0], r.split(' ')[1]) === undefined)).toEqual([]);
  });
});

describe('every implemented endpoint refuses unknown parameters', () => {
  it('an unknown top-level parameter, and an unknown one inside a nested parameter', async () => {
    let nestedChecked = 0;
    for (const route of routes) {
      const [method, pattern] = route.split(' ');
      // The check runs before the handler, as in Stripe: ids need not exist.
      const path = pattern.replace(/:[a-z_]+/g, 'xx_missing');
      expect({ route, ...(await raw(method, path, 'zz_unknown=1')) }).toEqual({ route, ...unknown('zz_unknown') });
      const nested = nestedParam(knownParams(method, pattern)!);
      if (nested) {
        expect({ route, ...(await raw(method, path, `${nested}[zz_unknown]=1`)) }).toEqual({ route, ...unknown(`${nested}[zz_unknown]`) });
        nestedChecked++;
      }
    }
    expect(nestedChecked).toBeGreaterThan(20);
  });
});

describe('through the stripe SDK', () => {
  it('a typo at the top level of customers.create', async () => {
    const e = await sdkError(h.stripe.customers.create({ emial: 'x@example.com' } as any));
    expect(e.type).toBe('StripeInvalidRequestError');
    expect(e.statusCode).toBe(400);
    expect(e.code).toBe('parameter_unknown');
    expect(e.param).toBe('emial');
    expect(e.message).toBe('Received unknown parameter: emial');
  });

  it('a typo inside an array of objects: items[0][pricee]', async () => {
    const { price } = await catalog(h.stripe);
    const customer = await h.stripe.customers.create({ email: 'a@example.com' });
    const e = await sdkError(h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }, { pricee: price.id } as any] }));
    expect([e.code, e.param, e.message]).toEqual(['parameter_unknown', 'items[1][pricee]', 'Received unknown parameter: items[1][pricee]']);
    // Nothing was created.
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data).toEqual([]);
  });

  it('deeper: a typo in subscription_details[items][0] of invoices.createPreview, and in recurring of prices.create', async () => {
    const e = await sdkError(
      h.stripe.invoices.createPreview({ subscription: 'sub_x', subscription_details: { items: [{ price: 'price_x', quantityy: 2 } as any] } }),
    );
    expect([e.code, e.param]).toEqual(['parameter_unknown', 'subscription_details[items][0][quantityy]']);
    const { product } = await catalog(h.stripe);
    const p = await sdkError(h.stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 100, recurring: { interval: 'month', intervall: 'year' } as any }));
    expect([p.code, p.param]).toEqual(['parameter_unknown', 'recurring[intervall]']);
  });

  it('lists and retrieves refuse an unknown query parameter', async () => {
    const e = await sdkError(h.stripe.subscriptions.list({ statuss: 'active' } as any));
    expect([e.code, e.param]).toEqual(['parameter_unknown', 'statuss']);
    const c = await h.stripe.customers.create({});
    const r = await sdkError(h.stripe.customers.retrieve(c.id, { foo: 'bar' } as any));
    expect([r.code, r.param]).toEqual(['parameter_unknown', 'foo']);
  });

  it('valid calls still work: any metadata key, expand (as the SDK sends it and as expand[]), list filters', async () => {
    const { price } = await catalog(h.stripe);
    const customer = await h.stripe.customers.create({ email: 'b@example.com', metadata: { any_key: 'v', 'another.key': 'w' } });
    expect(customer.metadata).toEqual({ any_key: 'v', 'another.key': 'w' });
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id, quantity: 2, metadata: { k: 'v' } }],
      payment_behavior: 'default_incomplete',
      expand: ['latest_invoice'],
    });
    expect(typeof sub.latest_invoice).toBe('object');
    const listed = await h.stripe.subscriptions.list({ customer: customer.id, status: 'all', limit: 10, expand: ['data.customer'] });
    expect(listed.data.map((s) => s.id)).toEqual([sub.id]);
    // A customer's address, on create and update (every key of it is modeled).
    const address = { country: 'JP', postal_code: '1410031', state: '東京都', city: '品川区', line1: '西五反田2-8-1', line2: '5F' };
    expect((await h.stripe.customers.update(customer.id, { address, name: 'N', email: 'c@example.com', preferred_locales: ['ja'] })).address).toEqual(address);
    // Hand-written clients and the Stripe CLI send `expand[]=…`.
    const res = await raw('GET', `/v1/subscriptions/${sub.id}`, 'expand[]=customer');
    expect(res.status).toBe(200);
    expect(res.body.customer.id).toBe(customer.id);
  });
});

describe('parameters Stripe knows but the emulator does not model', () => {
  it('every route declares only parameters Stripe knows (as templates of the known tree)', () => {
    const wrong: string[] = [];
    for (const { method, pattern, handler } of entries) {
      const known = knownParams(method, pattern)!;
      for (const path of handler.declared) if (knownTemplate(known, path) !== path) wrong.push(`${method} ${pattern}: ${path}`);
    }
    expect(wrong).toEqual([]);
    // The lists are real: every route that takes more than `expand` models something (or is listed here).
    const nothing = entries.filter((e) => e.handler.declared.length === 0 && Object.keys(knownParams(e.method, e.pattern)!).some((k) => k !== 'expand'));
    expect(nothing.map((e) => `${e.method} ${e.pattern}`).sort()).toEqual([
      'GET /v1/payment_intents/:id',
      'GET /v1/setup_intents/:id',
      'POST /v1/subscription_schedules/:id/release',
      'POST /v1/subscriptions/:id/pause',
    ]);
  });

  it('every implemented route refuses a known parameter it does not declare, before the handler, with parameter_not_modeled', async () => {
    let checked = 0;
    for (const { method, pattern, handler } of entries) {
      const route = `${method} ${pattern}`;
      const param = unmodeledParam(knownParams(method, pattern)!, handler.modeled);
      if (!param) continue;
      const path = pattern.replace(/:[a-z_]+/g, 'xx_missing');
      expect({ route, ...(await raw(method, path, `${param}=1`)) }).toEqual({ route, ...notModeled(param, route) });
      checked++;
    }
    // Routes whose every known parameter is modeled (retrieves that take only `expand`, …) have nothing to refuse.
    expect(checked).toBeGreaterThan(60);
  });

  it('an unknown parameter is still parameter_unknown when an unmodeled one comes with it', async () => {
    const res = await raw('POST', '/v1/subscriptions', 'automatic_tax[enabled]=true&zz_unknown=1');
    expect(res).toEqual(unknown('zz_unknown'));
  });

  it('through the SDK: subscription options that would change what Stripe bills are refused, nested ones with their full path', async () => {
    const { price } = await catalog(h.stripe);
    const customer = await h.stripe.customers.create({ email: 'm@example.com' });
    const tax = await sdkError(h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], automatic_tax: { enabled: true } }));
    expect([tax.statusCode, tax.type, tax.code, tax.param]).toEqual([400, 'StripeInvalidRequestError', 'parameter_not_modeled', 'automatic_tax']);
    expect(tax.message).toContain('The Stripe emulator does not model parameter automatic_tax of POST /v1/subscriptions (Stripe accepts it)');
    const types = await sdkError(
      h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], payment_settings: { payment_method_types: ['card'] } }),
    );
    expect([types.code, types.param]).toEqual(['parameter_not_modeled', expect.stringMatching(/^payment_settings/)]);
    const thresholds = await sdkError(h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, billing_thresholds: { usage_gte: 10 } }] }));
    expect([thresholds.code, thresholds.param]).toEqual(['parameter_not_modeled', 'items[0][billing_thresholds]']);
    // Nothing was created.
    expect((await h.stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toEqual([]);
  });
});

describe('the declared lists follow the handlers', () => {
  function readsOf(read: (p: Params) => void): ReadLog {
    const reads: ReadLog = new Map();
    read(new Params({ items: [{ price: 'p', metadata: { a: 'b' } }], currency_options: { usd: { amount_off: '1' } } }, '', reads));
    return reads;
  }

  it('reads are recorded as templates of the known tree: array elements share `[]`, data keys become `*`', () => {
    const reads = readsOf((p) => {
      p.list('items')?.forEach((it) => [it.str('price'), it.metadata()]);
      p.entries('currency_options').forEach(([, o]) => o.int('amount_off'));
      p.obj('automatic_tax')?.bool('enabled');
    });
    expect([...reads]).toEqual([
      ['items', 'node'],
      ['items[][price]', 'leaf'],
      ['items[][metadata]', 'leaf'],
      ['currency_options', 'node'],
      ['currency_options[*][amount_off]', 'leaf'],
      ['automatic_tax', 'node'],
    ]);
    // Declared lists write them as the known tree does: an array's elements stand under the array's own name.
    expect(knownTemplate(knownParams('POST', '/v1/subscriptions')!, 'items[][price]')).toBe('items[price]');
    expect(knownTemplate(knownParams('POST', '/v1/coupons')!, 'currency_options[usd][amount_off]')).toBe('currency_options[*][amount_off]');
    expect(knownTemplate(knownParams('POST', '/v1/subscriptions')!, 'items[][pricee]')).toBeUndefined();
    expect(pathSegments('items[][price]')).toEqual(['items', 'price']);
  });

  it('under Jest a handler that reads a parameter its route does not declare fails the request (so a list cannot fall behind its handler)', () => {
    expect(CHECK_READS).toBe(true);
    const reads = readsOf((p) => [p.str('customer'), p.str('description')]);
    expect(() => settleReads('POST', '/v1/subscriptions', reads, modeledTree('POST /v1/subscriptions', ['customer']))).toThrow(
      'emulator bug: the handler of POST /v1/subscriptions read description, not in its declared modeled parameters',
    );
    expect(() => settleReads('POST', '/v1/subscriptions', reads, modeledTree('POST /v1/subscriptions', ['customer', 'description']))).not.toThrow();
  });
});
