// Stripe refuses parameters it does not know (400 invalid_request_error / parameter_unknown, `param`
// the full bracketed path); so does the emulator, on every endpoint it implements, from the table
// the SDK's own request types give (scripts/known-params.mjs → src/http/known-params.generated.ts).
import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { emulatorRoutes, generate, OUTPUT } from '../scripts/known-params.mjs';
import { knownParams, type ParamTree } from '../src/http/strict-params.js';
import { RouteTables } from '../src/http/routes.js';
import { registerApiRoutes } from '../src/resources/index.js';
import { catalog, harness, type Harness } from './helpers.js';

let h: Harness;
let routes: string[];

beforeAll(async () => {
  h = await harness();
  // The emulator's real route table, not a copy: a route added later is covered by these tests.
  const tables = new RouteTables();
  registerApiRoutes(h.emu.emulator, tables.api);
  routes = tables.api.list();
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
    // Hand-written clients and the Stripe CLI send `expand[]=…`.
    const res = await raw('GET', `/v1/subscriptions/${sub.id}`, 'expand[]=customer');
    expect(res.status).toBe(200);
    expect(res.body.customer.id).toBe(customer.id);
  });
});
