// Entitlement features, product features (`/v1/products/:id/features`) and a customer's
// active entitlements.
import type Stripe from 'stripe';
import { activeEntitlements, refreshEntitlementsForProduct } from '../billing/entitlements.js';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { listOf, pageOf } from '../http/list.js';
import type { ApiRouter } from '../http/routes.js';
import { newId } from '../store/ids.js';
import { deletedStub } from './common.js';

export function entitlementRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/entitlements/features', ['lookup_key', 'metadata', 'name'], ({ scope, p }) => {
    const lookupKey = p.reqStr('lookup_key');
    if (scope.features.find((f) => f.lookup_key === lookupKey)) {
      throw errors.invalid(`A feature with lookup_key ${lookupKey} already exists.`, 'lookup_key', 'resource_already_exists');
    }
    const feature: Stripe.Entitlements.Feature = {
      id: newId('feat'),
      object: 'entitlements.feature',
      active: true,
      livemode: false,
      lookup_key: lookupKey,
      metadata: p.metadata(),
      name: p.reqStr('name'),
    };
    // Stripe has no events for features (only entitlements.active_entitlement_summary.updated).
    scope.features.add(feature);
    return feature;
  });
  r.add('GET', '/v1/entitlements/features/:id', [], ({ scope, params }) => scope.features.require(params.id));
  r.add('POST', '/v1/entitlements/features/:id', ['active', 'metadata', 'name'], ({ scope, params, p }) => {
    const feature = scope.features.require(params.id);
    if (p.has('name')) feature.name = p.reqStr('name');
    const active = p.bool('active');
    if (active !== undefined) feature.active = active;
    feature.metadata = p.metadata('metadata', feature.metadata);
    return feature;
  });
  r.add('GET', '/v1/entitlements/features', ['archived', 'ending_before', 'limit', 'lookup_key', 'starting_after'], ({ scope, p }) => {
    const lookupKey = p.str('lookup_key');
    const archived = p.bool('archived');
    return pageOf(scope.features, p, '/v1/entitlements/features', (f) => (!lookupKey || f.lookup_key === lookupKey) && (archived === undefined || f.active === !archived));
  });

  r.add('POST', '/v1/products/:id/features', ['entitlement_feature'], ({ scope, params, p }) => {
    const product = scope.products.require(params.id);
    const feature = scope.features.require(p.reqStr('entitlement_feature'), 'entitlement_feature');
    if (scope.productFeatures.find((pf) => pf.product === product.id && pf.entitlement_feature.id === feature.id)) {
      throw errors.invalid('This feature is already attached to this product.', 'entitlement_feature', 'resource_already_exists');
    }
    // Stripe embeds the feature; the product id is emulator bookkeeping, hidden from the wire.
    const pf = { id: newId('prodft'), object: 'product_feature' as const, entitlement_feature: feature, livemode: false, product: product.id };
    Object.defineProperty(pf, 'product', { enumerable: false });
    scope.productFeatures.add(pf);
    refreshEntitlementsForProduct(emu, scope, product.id);
    return pf;
  });
  r.add('GET', '/v1/products/:id/features', ['ending_before', 'limit', 'starting_after'], ({ scope, params, p }) => {
    const product = scope.products.require(params.id);
    return pageOf(scope.productFeatures, p, `/v1/products/${product.id}/features`, (pf) => pf.product === product.id);
  });
  r.add('GET', '/v1/products/:id/features/:fid', [], ({ scope, params }) => {
    const pf = scope.productFeatures.get(params.fid);
    if (!pf || pf.product !== params.id) throw errors.notFound('product_feature', params.fid);
    return pf;
  });
  r.add('DELETE', '/v1/products/:id/features/:fid', [], ({ scope, params }) => {
    const pf = scope.productFeatures.get(params.fid);
    if (!pf || pf.product !== params.id) throw errors.notFound('product_feature', params.fid);
    scope.productFeatures.remove(pf.id);
    refreshEntitlementsForProduct(emu, scope, params.id);
    return deletedStub(pf.id, 'product_feature');
  });

  r.add('GET', '/v1/entitlements/active_entitlements', ['customer', 'limit', 'starting_after'], ({ scope, p }) => {
    const customer = p.reqStr('customer');
    scope.customers.require(customer, 'customer');
    const all = activeEntitlements(scope, customer);
    const limit = p.int('limit') ?? 10;
    const after = p.str('starting_after');
    const start = after ? all.findIndex((e) => e.id === after) + 1 : 0;
    return listOf(all.slice(start, start + limit), '/v1/entitlements/active_entitlements', start + limit < all.length);
  });
  r.add('GET', '/v1/entitlements/active_entitlements/:id', [], ({ scope, params }) => {
    for (const [key, id] of scope.entitlementIds) {
      if (id !== params.id) continue;
      const customer = key.split(' ')[0];
      const found = activeEntitlements(scope, customer).find((e) => e.id === id);
      if (found) return found;
    }
    throw errors.notFound('active_entitlement', params.id);
  });
}
