// The control API under /_emulator (JSON, same bearer key): clock, faults, webhooks on/off and
// flush, bulk seeding, reset, Connect accounts, customer cards and settings. See README.md.
import type Stripe from 'stripe';
import { createSubscription } from './billing/subscriptions.js';
import type { Emulator, EmulatorSettings } from './emulator.js';
import type { FaultConfig } from './faults.js';
import { errors } from './http/errors.js';
import type { PlainRouter } from './http/routes.js';
import { decimal } from './resources/catalog.js';
import { updateWithEvent } from './resources/common.js';
import { paymentMethodForCard } from './resources/payment-methods.js';
import { newId } from './store/ids.js';
import type { Scope } from './store/scope.js';

function num(v: unknown, name: string): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw errors.invalid(`${name} must be a number`, name);
  return n;
}

/** The scope `account` names; `create` (seeding) makes a well-formed account that does not exist yet. */
function scopeOf(emu: Emulator, json: Record<string, unknown>, create = false): Scope {
  const account = typeof json.account === 'string' ? json.account : null;
  if (create && account && /^acct_[A-Za-z0-9]+$/.test(account) && !emu.accounts.has(account)) return emu.ensureAccount(account).scope;
  return emu.scopeFor(account);
}

/** A monthly price to seed with when none is given. */
function seedPrice(emu: Emulator, scope: Scope): Stripe.Price {
  const now = emu.clock.now();
  const product: Stripe.Product = {
    id: newId('prod', 14), object: 'product', active: true, created: now, default_price: null, description: null, images: [], livemode: false,
    marketing_features: [], metadata: { seeded: 'true' }, name: 'Seeded plan', package_dimensions: null, shippable: null, statement_descriptor: null,
    tax_code: null, tax_details: null, type: 'service', unit_label: null, updated: now, url: null,
  };
  scope.products.add(product);
  const price: Stripe.Price = {
    id: newId('price'), object: 'price', active: true, billing_scheme: 'per_unit', created: now, currency: 'jpy', custom_unit_amount: null,
    livemode: false, lookup_key: null, metadata: {}, nickname: null, product: product.id,
    recurring: { interval: 'month', interval_count: 1, meter: null, trial_period_days: null, usage_type: 'licensed' },
    tax_behavior: 'unspecified', tiers_mode: null, transform_quantity: null, type: 'recurring', unit_amount: 1000, unit_amount_decimal: decimal(1000),
  };
  scope.prices.add(price);
  return price;
}

// Seeded customers share what the emulator only ever replaces, never mutates (memory at 300k).
const SEED_INVOICE_SETTINGS: Stripe.Customer.InvoiceSettings = Object.freeze({ custom_fields: null, default_payment_method: null, footer: null, rendering_options: null });
const NO_LOCALES: string[] = Object.freeze([]) as unknown as string[];
const NO_METADATA: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** N customers, each with an active subscription, without events or invoices: for benchmarks. */
function seed(emu: Emulator, json: Record<string, unknown>) {
  const scope = scopeOf(emu, json, true);
  const count = num(json.count ?? 0, 'count');
  if (count < 0 || count > 1_000_000) throw errors.invalid('count must be between 0 and 1000000', 'count');
  const price = typeof json.price === 'string' ? scope.prices.require(json.price, 'price') : seedPrice(emu, scope);
  const now = emu.clock.now();
  // Spread over the span before now (oldest first), as an account's customers came over time; 0: all of this second.
  const spread = num(json.spread_seconds ?? 0, 'spread_seconds');
  if (spread < 0 || spread > 20 * 365 * 86_400) throw errors.invalid('spread_seconds must be between 0 and 630720000', 'spread_seconds');
  const started = Date.now();
  const subscriptions: string[] = [];
  emu.events.muted = true;
  try {
    for (let i = 0; i < count; i++) {
      const id = newId('cus', 14);
      const customer: Stripe.Customer = {
        id, object: 'customer', address: null, balance: 0, created: now, currency: null, default_source: null, delinquent: false,
        description: null, discount: null, email: `seed${i}@example.com`, invoice_prefix: id.slice(4, 12).toUpperCase(),
        invoice_settings: SEED_INVOICE_SETTINGS,
        livemode: false, metadata: { seed_index: String(i) }, name: `Seed customer ${i}`, next_invoice_sequence: 1, phone: null,
        preferred_locales: NO_LOCALES, shipping: null, tax_exempt: 'none', test_clock: null,
      };
      scope.customers.add(customer);
      const sub = createSubscription(emu, scope, {
        customer, items: [{ price, quantity: 1, taxRates: null, metadata: {} }], paymentBehavior: 'allow_incomplete',
        defaultPaymentMethod: null, trialEnd: null, defaultTaxRates: [], metadata: NO_METADATA, description: null,
        applicationFeePercent: null, transferData: null, cancelAtPeriodEnd: false, missingPaymentMethod: 'create_invoice',
        announceBeforePayment: false, seeded: true,
      });
      if (spread > 0) {
        const created = now - spread + Math.floor((i * spread) / count);
        scope.customers.backdate(customer.id, created);
        scope.subscriptions.backdate(sub.id, created);
      }
      if (i < 10) subscriptions.push(sub.id);
    }
  } finally {
    emu.events.muted = false;
  }
  return { account: scope.account, created: count, price: price.id, sample_subscriptions: subscriptions, ms: Date.now() - started };
}

export function controlRoutes(emu: Emulator, r: PlainRouter, hooks: { reset: () => void }): void {
  r.add('GET', '/_emulator/clock', () => ({ now: emu.clock.now(), iso: new Date(emu.clock.now() * 1000).toISOString(), pending_tasks: emu.clock.pending }));
  r.add('POST', '/_emulator/clock/advance', ({ json }) => {
    if (json.to !== undefined) emu.clock.advanceTo(num(json.to, 'to'));
    else emu.clock.advance(num(json.seconds, 'seconds'));
    return { now: emu.clock.now(), iso: new Date(emu.clock.now() * 1000).toISOString() };
  });

  r.add('GET', '/_emulator/faults', () => emu.faults.describe());
  r.add('POST', '/_emulator/faults', ({ json }) => {
    emu.faults.add(json as FaultConfig);
    return emu.faults.describe();
  });
  r.add('DELETE', '/_emulator/faults', () => {
    emu.faults.clear();
    return emu.faults.describe();
  });

  r.add('GET', '/_emulator/webhooks', () => ({ enabled: emu.delivery.enabled, pending: emu.delivery.pending, deliveries: emu.delivery.log.slice(-200) }));
  r.add('POST', '/_emulator/webhooks', ({ json }) => {
    if (typeof json.enabled !== 'boolean') throw errors.invalid('enabled must be true or false', 'enabled');
    emu.delivery.enabled = json.enabled;
    return { enabled: emu.delivery.enabled };
  });
  r.add('POST', '/_emulator/webhooks/flush', async () => {
    await emu.delivery.flush();
    return { pending: emu.delivery.pending };
  });

  r.add('POST', '/_emulator/seed', ({ json }) => seed(emu, json));
  r.add('POST', '/_emulator/reset', () => {
    hooks.reset();
    return { reset: true };
  });

  r.add('POST', '/_emulator/accounts', ({ json }) => {
    const id = typeof json.id === 'string' ? json.id : newId('acct', 16);
    if (!/^acct_[A-Za-z0-9]+$/.test(id)) throw errors.invalid('id must look like acct_…', 'id');
    return emu.ensureAccount(id).account;
  });
  // For quick local use: any `acct_…` in `Stripe-Account` is then created on first use.
  r.add('GET', '/_emulator/accept-any-account', () => ({ accept_any_account: emu.acceptAnyAccount }));
  r.add('POST', '/_emulator/accept-any-account', ({ json }) => {
    if (typeof json.enabled !== 'boolean') throw errors.invalid('enabled must be true or false', 'enabled');
    emu.acceptAnyAccount = json.enabled;
    return { accept_any_account: emu.acceptAnyAccount };
  });
  r.add('POST', '/_emulator/accounts/:id/deauthorize', ({ params }) => {
    const entry = emu.accounts.get(params.id);
    if (!entry) throw errors.notFound('account', params.id);
    const application: Stripe.Application = { id: 'ca_emulator_platform', object: 'application', name: 'Stripe emulator platform' };
    emu.events.publish(entry.scope, 'account.application.deauthorized', application);
    entry.deauthorized = true;
    return { account: params.id, deauthorized: true };
  });

  // Sets the customer's default card, e.g. to make the next renewal fail (card=4000000000000341).
  r.add('POST', '/_emulator/customers/:id/card', ({ params, json, p }) => {
    const scope = scopeOf(emu, json);
    const customer = scope.customers.require(params.id);
    const card = paymentMethodForCard(emu, scope, p.reqStr('card'));
    // The customer's card, as if saved by it (the control API announces nothing but the customer's update).
    card.customer = customer.id;
    updateWithEvent(emu, scope, 'customer.updated', customer, () => {
      customer.invoice_settings = { ...customer.invoice_settings, default_payment_method: card.id };
    });
    // Subscriptions with their own default card follow it too, so the card really is used.
    for (const sub of scope.subscriptions.values()) {
      if (sub.customer === customer.id && sub.default_payment_method) sub.default_payment_method = card.id;
    }
    return { customer: customer.id, payment_method: card.id };
  });

  r.add('GET', '/_emulator/settings', () => emu.settings);
  r.add('POST', '/_emulator/settings', ({ json }) => {
    const next = { ...emu.settings, ...(json as Partial<EmulatorSettings>) };
    if (next.pastDueFinalAction !== 'cancel' && next.pastDueFinalAction !== 'unpaid') throw errors.invalid('pastDueFinalAction must be cancel or unpaid', 'pastDueFinalAction');
    emu.settings = next;
    return emu.settings;
  });

  r.add('GET', '/_emulator/stats', () => {
    const scopes = [...emu.scopes()].map((s) => ({ account: s.account, customers: s.customers.size, subscriptions: s.subscriptions.size, invoices: s.invoices.size, events: s.events.size }));
    return { scopes, memory: process.memoryUsage(), pending_tasks: emu.clock.pending };
  });
}
