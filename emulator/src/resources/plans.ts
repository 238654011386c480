// Plans, the API Stripe keeps for integrations older than prices: a plan is a recurring price
// seen through another shape, with the same id (a plan created here is a price, and every
// recurring price is a plan). The plan's own calls announce `plan.*` along with `price.*`.
import type Stripe from 'stripe';
import { previousAttributes, snapshot } from '../billing/diff.js';
import { planOf } from '../billing/subscription-objects.js';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { createdFilter, pageOf } from '../http/list.js';
import { Params } from '../http/params.js';
import type { ApiRouter } from '../http/routes.js';
import type { Scope } from '../store/scope.js';
import { createPrice, createProduct } from './catalog.js';
import { deletedStub, nullableStr, updateWithEvent } from './common.js';

function requirePlan(scope: Scope, id: string): Stripe.Price {
  const price = scope.prices.get(id);
  if (!price?.recurring) throw errors.notFound('plan', id);
  return price;
}

function createPlan(emu: Emulator, scope: Scope, p: Params): Stripe.Plan {
  if (p.oneOf('billing_scheme', ['per_unit', 'tiered'] as const) === 'tiered') {
    throw errors.invalid('The emulator supports `billing_scheme=per_unit` plans only; see emulator/README.md.', 'billing_scheme');
  }
  const interval = p.oneOf('interval', ['day', 'week', 'month', 'year'] as const);
  if (!interval) throw errors.missing('interval');
  const currency = p.reqStr('currency');
  const amount = p.int('amount') ?? (p.num('amount_decimal') !== undefined ? Math.round(p.num('amount_decimal')!) : undefined);
  if (amount === undefined) throw errors.missing('amount');
  // `product` is an id, or the hash of a product to create with the plan (`product[name]`).
  const productData = p.obj('product');
  const product = productData ? createProduct(emu, scope, productData).id : p.reqStr('product');
  scope.products.require(product, 'product');
  const recurring: Record<string, string> = { interval };
  for (const key of ['interval_count', 'usage_type', 'meter', 'trial_period_days']) {
    const v = p.str(key);
    if (v !== undefined) recurring[key] = v;
  }
  const fields: Record<string, string | Record<string, string>> = { currency, unit_amount: String(amount), recurring };
  for (const key of ['id', 'nickname', 'active']) {
    const v = p.str(key);
    if (v !== undefined) fields[key] = v;
  }
  if (p.has('metadata')) fields.metadata = p.metadata();
  const price = createPrice(emu, scope, new Params(fields), product);
  const plan = planOf(price);
  emu.events.publish(scope, 'plan.created', plan);
  return plan;
}

export function planRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/plans', [
    'active', 'amount', 'billing_scheme', 'currency', 'id', 'interval', 'interval_count', 'meter', 'nickname',
    'product[active]', 'product[id]', 'product[metadata]', 'product[name]', 'product[statement_descriptor]',
    'product[tax_code]', 'product[unit_label]', 'trial_period_days', 'usage_type',
  ], ({ scope, p }) => createPlan(emu, scope, p));
  r.add('GET', '/v1/plans/:id', [], ({ scope, params }) => planOf(requirePlan(scope, params.id)));
  r.add('POST', '/v1/plans/:id', ['active', 'metadata', 'nickname', 'product', 'trial_period_days'], ({ scope, params, p }) => {
    const price = requirePlan(scope, params.id);
    const product = p.str('product');
    if (product !== undefined && product !== price.product) {
      throw errors.invalid("The emulator does not support moving a plan to another product; see emulator/README.md.", 'product');
    }
    const before = snapshot(planOf(price));
    updateWithEvent(emu, scope, 'price.updated', price, () => {
      const active = p.bool('active');
      if (active !== undefined) price.active = active;
      price.metadata = p.metadata('metadata', price.metadata);
      price.nickname = nullableStr(p, 'nickname', price.nickname);
      if (p.has('trial_period_days')) price.recurring = { ...price.recurring!, trial_period_days: p.int('trial_period_days') ?? null };
    });
    const plan = planOf(price);
    const diff = previousAttributes(before, plan);
    if (diff) emu.events.publish(scope, 'plan.updated', plan, diff);
    return plan;
  });
  r.add('GET', '/v1/plans', ['active', 'created', 'ending_before', 'limit', 'product', 'starting_after'], ({ scope, p }) => {
    const active = p.bool('active');
    const product = p.str('product');
    const created = createdFilter(p);
    const page = pageOf(
      scope.prices,
      p,
      '/v1/plans',
      (pr) => pr.recurring !== null && (active === undefined || pr.active === active) && (!product || pr.product === product) && (!created || created(pr.created)),
    );
    return { ...page, data: page.data.map(planOf) };
  });
  // Deleting a plan deletes its price; subscriptions already on it keep it, as in Stripe.
  r.add('DELETE', '/v1/plans/:id', [], ({ scope, params }) => {
    const price = requirePlan(scope, params.id);
    const plan = planOf(price);
    scope.prices.remove(price.id);
    emu.events.publish(scope, 'plan.deleted', plan);
    emu.events.publish(scope, 'price.deleted', price);
    return deletedStub(price.id, 'plan');
  });
}
