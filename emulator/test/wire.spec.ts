// Stripe's wire format as the SDK sees it: auth, errors, idempotency, pagination, expand,
// nested form parameters.
import Stripe from 'stripe';
import { parseForm } from '../src/http/form.js';
import { catalog, harness, sdk, type Harness } from './helpers.js';

describe('wire format', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.stop());

  it('parses nested form keys the way Stripe does', () => {
    expect(parseForm('items[0][price]=p1&items[0][quantity]=2&items[1][price]=p2&metadata[k]=v%20w&expand[]=a&expand[]=b&x=1+2')).toEqual({
      items: [{ price: 'p1', quantity: '2' }, { price: 'p2' }],
      metadata: { k: 'v w' },
      expand: ['a', 'b'],
      x: '1 2',
    });
  });

  it('rejects a wrong API key with 401 and a missing one too', async () => {
    const bad = new Stripe('sk_test_wrong_key_123456', { host: h.emu.host, port: h.emu.port, protocol: 'http', maxNetworkRetries: 0 });
    await expect(bad.customers.list()).rejects.toMatchObject({ type: 'StripeAuthenticationError', statusCode: 401 });
    const res = await fetch(`${h.emu.url}/v1/customers`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
  });

  it('answers Stripe error objects: missing param, unknown id, bad integer, unknown route', async () => {
    const { stripe } = h;
    await expect(stripe.products.create({} as Stripe.ProductCreateParams)).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      code: 'parameter_missing',
      param: 'name',
      message: 'Missing required param: name.',
    });
    await expect(stripe.customers.retrieve('cus_missing')).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'id',
      message: "No such customer: 'cus_missing'",
    });
    await expect(stripe.customers.list({ limit: 101 })).rejects.toMatchObject({ statusCode: 400, param: 'limit' });
    const raw = await fetch(`${h.emu.url}/v1/nothing_here`, { headers: { Authorization: `Bearer ${h.emu.secretKey}` } });
    expect(raw.status).toBe(404);
    expect(((await raw.json()) as { error: object }).error).toMatchObject({ type: 'invalid_request_error' });
    await expect(stripe.subscriptions.create({ customer: 'cus_nope', items: [{ price: 'price_nope' }] })).rejects.toMatchObject({ param: 'customer', code: 'resource_missing' });
  });

  it('replays an idempotent request and refuses the same key with other parameters', async () => {
    const { stripe } = h;
    const key = `idem-${Date.now()}`;
    const a = await stripe.customers.create({ email: 'same@example.com' }, { idempotencyKey: key });
    const b = await stripe.customers.create({ email: 'same@example.com' }, { idempotencyKey: key });
    expect(b.id).toBe(a.id);
    expect(b.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await stripe.customers.list({ email: 'same@example.com' })).data).toHaveLength(1);
    await expect(stripe.customers.create({ email: 'other@example.com' }, { idempotencyKey: key })).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
      statusCode: 400,
    });
  });

  it('paginates 250 objects forwards and backwards without gaps or repeats', async () => {
    const { stripe } = h;
    const product = await stripe.products.create({ name: 'pagination' });
    const created: string[] = [];
    for (let i = 0; i < 250; i++) created.push((await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: i })).id);
    const newestFirst = [...created].reverse();

    const forward: string[] = [];
    for await (const price of stripe.prices.list({ product: product.id, limit: 100 })) forward.push(price.id);
    expect(forward).toEqual(newestFirst);

    const page1 = await stripe.prices.list({ product: product.id, limit: 100 });
    expect(page1.has_more).toBe(true);
    const page3 = await stripe.prices.list({ product: product.id, limit: 100, starting_after: newestFirst[199] });
    expect(page3.data).toHaveLength(50);
    expect(page3.has_more).toBe(false);

    // Backwards from the oldest: ending_before walks to newer objects, each page newest first.
    const backward: string[] = [];
    let before = created[0];
    for (;;) {
      const page = await stripe.prices.list({ product: product.id, limit: 100, ending_before: before });
      backward.unshift(...page.data.map((p) => p.id));
      if (!page.has_more) break;
      before = page.data[0].id;
    }
    expect(backward).toEqual(newestFirst.slice(0, 249));

    const autoBackward: string[] = [];
    for await (const price of stripe.prices.list({ product: product.id, limit: 100, ending_before: created[0] })) autoBackward.push(price.id);
    expect(new Set(autoBackward).size).toBe(249);
  });

  it('expands fields, nested paths and list data', async () => {
    const { stripe } = h;
    const { price } = await catalog(stripe);
    const customer = await stripe.customers.create({ email: 'e@example.com', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const expanded = await stripe.subscriptions.retrieve(sub.id, { expand: ['customer', 'latest_invoice', 'items.data.price.product'] });
    expect((expanded.customer as Stripe.Customer).email).toBe('e@example.com');
    expect((expanded.latest_invoice as Stripe.Invoice).status).toBe('paid');
    expect((expanded.items.data[0].price.product as Stripe.Product).name).toBe('Pro plan');
    const list = await stripe.subscriptions.list({ customer: customer.id, expand: ['data.customer'] });
    expect((list.data[0].customer as Stripe.Customer).id).toBe(customer.id);
    // The stored object is untouched by an expansion.
    expect((await stripe.subscriptions.retrieve(sub.id)).customer).toBe(customer.id);
    await expect(stripe.subscriptions.retrieve(sub.id, { expand: ['nonsense'] })).rejects.toMatchObject({ statusCode: 400, param: 'expand' });
  });

  it('customers keep metadata, preferred_locales and address; delete hides them', async () => {
    const { stripe } = h;
    const c = await stripe.customers.create({
      name: 'ACME',
      metadata: { account_id: '42' },
      preferred_locales: ['ja', 'en'],
      address: { country: 'JP', postal_code: '100-0001', line1: 'Chiyoda 1' },
    });
    expect(c).toMatchObject({ metadata: { account_id: '42' }, preferred_locales: ['ja', 'en'], address: { country: 'JP', city: null } });
    const updated = await stripe.customers.update(c.id, { metadata: { account_id: '' , plan: 'pro' } });
    expect(updated.metadata).toEqual({ plan: 'pro' });
    const deleted = await stripe.customers.del(c.id);
    expect(deleted).toEqual({ id: c.id, object: 'customer', deleted: true });
    expect(await stripe.customers.retrieve(c.id)).toMatchObject({ id: c.id, deleted: true });
    await expect(stripe.customers.update(c.id, { name: 'x' })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('lists events newest first with type filters, and prices by lookup_key', async () => {
    const { stripe } = h;
    const product = await stripe.products.create({ name: 'events' });
    const price = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 500, lookup_key: `pro_monthly_${Date.now()}`, recurring: { interval: 'month', usage_type: 'licensed' }, tax_behavior: 'inclusive' });
    const events = await stripe.events.list({ type: 'price.created', limit: 1 });
    expect((events.data[0].data.object as Stripe.Price).id).toBe(price.id);
    expect((await stripe.prices.list({ lookup_keys: [price.lookup_key!] })).data.map((p) => p.id)).toEqual([price.id]);
    const wildcard = await stripe.events.list({ type: 'product.*' });
    expect(wildcard.data.every((e) => e.type.startsWith('product.'))).toBe(true);
    await expect(stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 1, lookup_key: price.lookup_key! })).rejects.toMatchObject({ param: 'lookup_key' });
  });

  it('uses a separate SDK instance with retries enabled without trouble (auto idempotency keys)', async () => {
    const retrying = sdk(h.emu, { maxNetworkRetries: 2 });
    const c = await retrying.customers.create({ email: 'r@example.com' });
    expect(c.lastResponse.headers['idempotency-key']).toMatch(/^stripe-node-retry-/);
  });
});
