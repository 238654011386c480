// The catalog: products, prices (recurring month/year, lookup_key, licensed/metered, tax_behavior)
// and tax rates, each with its `*.created/updated/deleted` events.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { createdFilter, pageOf } from '../http/list.js';
import type { Params } from '../http/params.js';
import type { ApiRouter } from '../http/routes.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { deletedStub, nullableStr, updateWithEvent } from './common.js';

/** The SDK types decimal strings as its Decimal class; on the wire they are plain strings. */
export function decimal(n: number | null): Stripe.Decimal | null {
  return n === null ? null : (String(n) as unknown as Stripe.Decimal);
}

export function createProduct(emu: Emulator, scope: Scope, p: Params): Stripe.Product {
  const id = p.str('id') || newId('prod', 14);
  if (scope.products.get(id)) throw errors.invalid(`Product already exists.`, 'id', 'resource_already_exists');
  const now = emu.clock.now();
  const product: Stripe.Product = {
    id,
    object: 'product',
    active: p.bool('active') ?? true,
    created: now,
    default_price: null,
    description: p.str('description') || null,
    images: p.strings('images') ?? [],
    livemode: false,
    marketing_features: [],
    metadata: p.metadata(),
    name: p.reqStr('name'),
    package_dimensions: null,
    shippable: null,
    statement_descriptor: p.str('statement_descriptor') || null,
    tax_code: p.str('tax_code') || null,
    tax_details: null,
    type: 'service',
    unit_label: p.str('unit_label') || null,
    updated: now,
    url: p.str('url') || null,
  };
  scope.products.add(product);
  emu.events.publish(scope, 'product.created', product);
  const priceData = p.obj('default_price_data');
  if (priceData) {
    const price = createPrice(emu, scope, priceData, product.id);
    updateWithEvent(emu, scope, 'product.updated', product, () => {
      product.default_price = price.id;
    });
  }
  return product;
}

export function createPrice(emu: Emulator, scope: Scope, p: Params, productId?: string): Stripe.Price {
  let product = productId ?? p.str('product');
  const productData = p.obj('product_data');
  if (!product && productData) product = createProduct(emu, scope, productData).id;
  if (!product) throw errors.missing('product');
  scope.products.require(product, 'product');
  const unitAmount = p.int('unit_amount') ?? (p.num('unit_amount_decimal') !== undefined ? Math.round(p.num('unit_amount_decimal')!) : undefined);
  if (unitAmount === undefined) throw errors.missing('unit_amount');
  if (unitAmount < 0) throw errors.invalid('Invalid unit_amount: must be at least 0', 'unit_amount');
  const recurringParams = p.obj('recurring');
  let recurring: Stripe.Price.Recurring | null = null;
  if (recurringParams) {
    const interval = recurringParams.oneOf('interval', ['day', 'week', 'month', 'year'] as const);
    if (!interval) throw errors.missing('recurring[interval]');
    const usageType = recurringParams.oneOf('usage_type', ['licensed', 'metered'] as const) ?? 'licensed';
    recurring = {
      interval,
      interval_count: recurringParams.int('interval_count') ?? 1,
      meter: meterOf(scope, usageType, recurringParams.str('meter') || null),
      trial_period_days: recurringParams.int('trial_period_days') ?? null,
      usage_type: usageType,
    };
  }
  const lookupKey = p.str('lookup_key') || null;
  if (lookupKey) claimLookupKey(emu, scope, lookupKey, p.bool('transfer_lookup_key') ?? false);
  const price: Stripe.Price = {
    id: p.str('id') || newId('price'),
    object: 'price',
    active: p.bool('active') ?? true,
    billing_scheme: 'per_unit',
    created: emu.clock.now(),
    currency: p.reqStr('currency').toLowerCase(),
    custom_unit_amount: null,
    livemode: false,
    lookup_key: lookupKey,
    metadata: p.metadata(),
    nickname: p.str('nickname') || null,
    product,
    recurring,
    tax_behavior: p.oneOf('tax_behavior', ['exclusive', 'inclusive', 'unspecified'] as const) ?? 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: recurring ? 'recurring' : 'one_time',
    unit_amount: unitAmount,
    unit_amount_decimal: decimal(unitAmount),
  };
  scope.prices.add(price);
  emu.events.publish(scope, 'price.created', price);
  return price;
}

/** Since the basil API a metered price is billed from a billing meter, which must exist; a licensed one has none. */
function meterOf(scope: Scope, usageType: 'licensed' | 'metered', meter: string | null): string | null {
  if (usageType === 'licensed') {
    if (meter) throw errors.invalid('`recurring[meter]` can only be set when `recurring[usage_type]` is `metered`.', 'recurring[meter]');
    return null;
  }
  if (!meter) throw errors.invalid('Metered prices must be backed by a meter: pass `recurring[meter]`.', 'recurring[meter]');
  return scope.meters.require(meter, 'recurring[meter]').id;
}

/** A lookup key names one price; `transfer_lookup_key=true` moves it from the price holding it. */
function claimLookupKey(emu: Emulator, scope: Scope, key: string, transfer: boolean, except?: string): void {
  const holder = scope.prices.find((pr) => pr.lookup_key === key && pr.id !== except);
  if (!holder) return;
  if (!transfer) {
    throw errors.invalid(
      `A price (\`${holder.id}\`) already uses that lookup key. To transfer the lookup key, set \`transfer_lookup_key\` to \`true\`.`,
      'lookup_key',
    );
  }
  updateWithEvent(emu, scope, 'price.updated', holder, () => {
    holder.lookup_key = null;
  });
}

function priceFilter(p: Params): ((price: Stripe.Price) => boolean) | undefined {
  const active = p.bool('active');
  const product = p.str('product');
  const type = p.str('type');
  const currency = p.str('currency');
  const lookupKeys = p.strings('lookup_keys');
  const interval = p.obj('recurring')?.str('interval');
  const created = createdFilter(p);
  if (active === undefined && !product && !type && !currency && !lookupKeys && !interval && !created) return undefined;
  return (pr) =>
    (active === undefined || pr.active === active) &&
    (!product || pr.product === product) &&
    (!type || pr.type === type) &&
    (!currency || pr.currency === currency) &&
    (!lookupKeys || (pr.lookup_key !== null && lookupKeys.includes(pr.lookup_key))) &&
    (!interval || pr.recurring?.interval === interval) &&
    (!created || created(pr.created));
}

function createTaxRate(emu: Emulator, scope: Scope, p: Params): Stripe.TaxRate {
  const percentage = p.num('percentage');
  if (percentage === undefined) throw errors.missing('percentage');
  const inclusive = p.bool('inclusive');
  if (inclusive === undefined) throw errors.missing('inclusive');
  const rate: Stripe.TaxRate = {
    id: newId('txr'),
    object: 'tax_rate',
    active: p.bool('active') ?? true,
    country: p.str('country') || null,
    created: emu.clock.now(),
    description: p.str('description') || null,
    display_name: p.reqStr('display_name'),
    effective_percentage: percentage,
    flat_amount: null,
    inclusive,
    jurisdiction: p.str('jurisdiction') || null,
    jurisdiction_level: null,
    livemode: false,
    metadata: p.metadata(),
    percentage,
    rate_type: 'percentage',
    state: p.str('state') || null,
    tax_type: (p.str('tax_type') as Stripe.TaxRate.TaxType | undefined) ?? null,
  };
  scope.taxRates.add(rate);
  emu.events.publish(scope, 'tax_rate.created', rate);
  return rate;
}

export function catalogRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/products', [
    'active', 'default_price_data[currency]', 'default_price_data[metadata]', 'default_price_data[recurring][interval]',
    'default_price_data[recurring][interval_count]', 'default_price_data[tax_behavior]', 'default_price_data[unit_amount]',
    'description', 'id', 'images', 'metadata', 'name', 'statement_descriptor', 'tax_code', 'unit_label', 'url',
  ], ({ scope, p }) => createProduct(emu, scope, p));
  r.add('GET', '/v1/products/:id', [], ({ scope, params }) => scope.products.require(params.id));
  r.add('POST', '/v1/products/:id', ['active', 'default_price', 'description', 'metadata', 'name', 'tax_code', 'unit_label', 'url'], ({ scope, params, p }) => {
    const product = scope.products.require(params.id);
    return updateWithEvent(emu, scope, 'product.updated', product, () => {
      if (p.has('name')) product.name = p.reqStr('name');
      product.description = nullableStr(p, 'description', product.description);
      const active = p.bool('active');
      if (active !== undefined) product.active = active;
      product.metadata = p.metadata('metadata', product.metadata);
      if (p.has('default_price')) product.default_price = p.str('default_price') ? scope.prices.require(p.str('default_price')!, 'default_price').id : null;
      product.tax_code = nullableStr(p, 'tax_code', typeof product.tax_code === 'string' ? product.tax_code : null);
      product.unit_label = nullableStr(p, 'unit_label', product.unit_label ?? null);
      product.url = nullableStr(p, 'url', product.url ?? null);
      product.updated = emu.clock.now();
    });
  });
  r.add('GET', '/v1/products', ['active', 'created', 'ending_before', 'ids', 'limit', 'starting_after'], ({ scope, p }) => {
    const active = p.bool('active');
    const ids = p.strings('ids');
    return pageOf(scope.products, p, '/v1/products', active === undefined && !ids ? undefined : (pr) => (active === undefined || pr.active === active) && (!ids || ids.includes(pr.id)));
  });
  r.add('DELETE', '/v1/products/:id', [], ({ scope, params }) => {
    const product = scope.products.require(params.id);
    if (scope.prices.find((pr) => pr.product === product.id)) {
      throw errors.invalid('This product cannot be deleted because it has one or more user-created prices.');
    }
    scope.products.remove(product.id);
    emu.events.publish(scope, 'product.deleted', product);
    return deletedStub(product.id, 'product');
  });

  r.add('POST', '/v1/prices', [
    'active', 'currency', 'lookup_key', 'metadata', 'nickname', 'product', 'product_data[active]', 'product_data[id]',
    'product_data[metadata]', 'product_data[name]', 'product_data[statement_descriptor]', 'product_data[tax_code]',
    'product_data[unit_label]', 'recurring[interval]', 'recurring[interval_count]', 'recurring[meter]',
    'recurring[trial_period_days]', 'recurring[usage_type]', 'tax_behavior', 'transfer_lookup_key', 'unit_amount',
  ], ({ scope, p }) => createPrice(emu, scope, p));
  r.add('GET', '/v1/prices/:id', [], ({ scope, params }) => scope.prices.require(params.id));
  r.add('POST', '/v1/prices/:id', ['active', 'lookup_key', 'metadata', 'nickname', 'tax_behavior'], ({ scope, params, p }) => {
    const price = scope.prices.require(params.id);
    return updateWithEvent(emu, scope, 'price.updated', price, () => {
      const active = p.bool('active');
      if (active !== undefined) price.active = active;
      price.metadata = p.metadata('metadata', price.metadata);
      price.nickname = nullableStr(p, 'nickname', price.nickname);
      if (p.has('lookup_key')) {
        const key = p.str('lookup_key') || null;
        if (key) claimLookupKey(emu, scope, key, p.bool('transfer_lookup_key') ?? false, price.id);
        price.lookup_key = key;
      }
      const tax = p.oneOf('tax_behavior', ['exclusive', 'inclusive', 'unspecified'] as const);
      if (tax) price.tax_behavior = tax;
    });
  });
  r.add('GET', '/v1/prices', [
    'active', 'created', 'currency', 'ending_before', 'limit', 'lookup_keys', 'product', 'starting_after', 'type',
  ], ({ scope, p }) => pageOf(scope.prices, p, '/v1/prices', priceFilter(p)));

  r.add('POST', '/v1/tax_rates', [
    'active', 'country', 'description', 'display_name', 'inclusive', 'jurisdiction', 'metadata', 'percentage', 'state',
    'tax_type',
  ], ({ scope, p }) => createTaxRate(emu, scope, p));
  r.add('GET', '/v1/tax_rates/:id', [], ({ scope, params }) => scope.taxRates.require(params.id));
  r.add('POST', '/v1/tax_rates/:id', ['active', 'description', 'display_name', 'metadata'], ({ scope, params, p }) => {
    const rate = scope.taxRates.require(params.id);
    return updateWithEvent(emu, scope, 'tax_rate.updated', rate, () => {
      const active = p.bool('active');
      if (active !== undefined) rate.active = active;
      if (p.has('display_name')) rate.display_name = p.reqStr('display_name');
      rate.description = nullableStr(p, 'description', rate.description);
      rate.metadata = p.metadata('metadata', rate.metadata ?? {});
    });
  });
  r.add('GET', '/v1/tax_rates', ['active', 'created', 'ending_before', 'limit', 'starting_after'], ({ scope, p }) => {
    const active = p.bool('active');
    return pageOf(scope.taxRates, p, '/v1/tax_rates', active === undefined ? undefined : (t) => t.active === active);
  });
}
