// Active entitlements: a customer has every feature attached (product features) to the products
// of its live subscriptions. When that set changes, Stripe sends
// `entitlements.active_entitlement_summary.updated`; so does the emulator.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { listOf } from '../http/list.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';

/** Statuses under which Stripe keeps a subscription's entitlements active. */
const ENTITLING: ReadonlySet<string> = new Set(['active', 'trialing', 'past_due']);

export function activeEntitlements(scope: Scope, customer: string): Stripe.Entitlements.ActiveEntitlement[] {
  const products = new Set<string>();
  for (const sub of scope.subscriptions.values()) {
    if (sub.customer !== customer || !ENTITLING.has(sub.status)) continue;
    for (const item of sub.items.data) products.add(typeof item.price.product === 'string' ? item.price.product : item.price.product.id);
  }
  const features = new Map<string, Stripe.Entitlements.Feature>();
  for (const pf of scope.productFeatures.values()) {
    if (products.has(pf.product) && pf.entitlement_feature.active) features.set(pf.entitlement_feature.id, pf.entitlement_feature);
  }
  return [...features.values()]
    .sort((a, b) => a.lookup_key.localeCompare(b.lookup_key))
    .map((feature) => {
      const key = `${customer} ${feature.id}`;
      let id = scope.entitlementIds.get(key);
      if (!id) {
        id = newId('ent');
        scope.entitlementIds.set(key, id);
      }
      return { id, object: 'entitlements.active_entitlement', feature: feature.id, livemode: false, lookup_key: feature.lookup_key };
    });
}

function summaryOf(customer: string, list: Stripe.Entitlements.ActiveEntitlement[]): Stripe.Entitlements.ActiveEntitlementSummary {
  return {
    object: 'entitlements.active_entitlement_summary',
    customer,
    entitlements: listOf(list, `/v1/customer/${customer}/entitlements`),
    livemode: false,
  };
}

/** Recomputes a customer's entitlements and publishes the summary event if they changed. */
export function refreshEntitlements(emu: Emulator, scope: Scope, customer: string): void {
  const next = summaryOf(customer, activeEntitlements(scope, customer));
  const previous = scope.entitlementSummaries.get(customer) ?? summaryOf(customer, []);
  const key = (s: Stripe.Entitlements.ActiveEntitlementSummary) => s.entitlements.data.map((e) => e.id).join(',');
  if (key(next) === key(previous)) return;
  scope.entitlementSummaries.set(customer, next);
  emu.events.publish(scope, 'entitlements.active_entitlement_summary.updated', embedded(next), { entitlements: embedded(previous).entitlements });
}

/** Stripe's summary event embeds the first 10 entitlements and sets `has_more` when there are more (the rest: the active entitlements list). */
const EMBEDDED = 10;

function embedded(summary: Stripe.Entitlements.ActiveEntitlementSummary): Stripe.Entitlements.ActiveEntitlementSummary {
  const all = summary.entitlements.data;
  return { ...summary, entitlements: listOf(all.slice(0, EMBEDDED), summary.entitlements.url, all.length > EMBEDDED) };
}

/** After the catalog changes (a product gains or loses a feature), every affected customer. */
export function refreshEntitlementsForProduct(emu: Emulator, scope: Scope, product: string): void {
  const customers = new Set<string>();
  for (const sub of scope.subscriptions.values()) {
    if (sub.items.data.some((i) => i.price.product === product)) customers.add(sub.customer as string);
  }
  for (const c of customers) refreshEntitlements(emu, scope, c);
}
