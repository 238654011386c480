// Customers: create (on a test clock with `test_clock`), retrieve, update, list (`email`, `created`,
// `test_clock` filters), delete (cancels their subscriptions).
import type Stripe from 'stripe';
import { cancelSubscription } from '../billing/subscriptions.js';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { createdFilter, pageOf } from '../http/list.js';
import type { Params } from '../http/params.js';
import type { ApiRouter } from '../http/routes.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { addressParam, deletedStub, nullableStr, updateWithEvent } from './common.js';
import { resolvePaymentMethod } from './payment-methods.js';

export function createCustomer(emu: Emulator, scope: Scope, p: Params): Stripe.Customer {
  const id = p.str('id') || newId('cus', 14);
  if (scope.customers.get(id)) throw errors.invalid(`Customer already exists.`, 'id', 'resource_already_exists');
  const settings = p.obj('invoice_settings');
  const pm = settings?.str('default_payment_method');
  const testClock = p.str('test_clock') ? scope.testClocks.require(p.str('test_clock')!, 'test_clock').id : null;
  const customer: Stripe.Customer = {
    id,
    object: 'customer',
    address: addressParam(p.obj('address')),
    balance: p.int('balance') ?? 0,
    // A customer on a test clock is created at the clock's frozen time (emu.clockOf).
    created: (testClock ? emu.testClocks.get(testClock)! : emu.clock).now(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: p.str('description') || null,
    discount: null,
    email: p.str('email') || null,
    invoice_prefix: id.slice(4, 12).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: pm ? resolvePaymentMethod(emu, scope, pm, 'invoice_settings[default_payment_method]', id) : null, footer: null, rendering_options: null },
    livemode: false,
    metadata: p.metadata(),
    name: p.str('name') || null,
    next_invoice_sequence: 1,
    phone: p.str('phone') || null,
    preferred_locales: p.strings('preferred_locales') ?? [],
    shipping: null,
    tax_exempt: p.oneOf('tax_exempt', ['none', 'exempt', 'reverse'] as const) ?? 'none',
    test_clock: testClock,
  };
  const payment = p.str('payment_method');
  if (payment) customer.invoice_settings.default_payment_method = resolvePaymentMethod(emu, scope, payment, 'payment_method', id);
  scope.customers.add(customer);
  emu.events.publish(scope, 'customer.created', customer);
  return customer;
}

export function updateCustomer(emu: Emulator, scope: Scope, customer: Stripe.Customer, p: Params): Stripe.Customer {
  return updateWithEvent(emu, scope, 'customer.updated', customer, () => {
    customer.email = nullableStr(p, 'email', customer.email);
    customer.name = nullableStr(p, 'name', customer.name ?? null);
    customer.description = nullableStr(p, 'description', customer.description);
    customer.phone = nullableStr(p, 'phone', customer.phone ?? null);
    customer.metadata = p.metadata('metadata', customer.metadata);
    if (p.has('preferred_locales')) customer.preferred_locales = p.strings('preferred_locales') ?? [];
    if (p.has('address')) customer.address = p.isEmpty('address') ? null : addressParam(p.obj('address'), customer.address ?? null);
    if (p.has('balance')) customer.balance = p.int('balance') ?? 0;
    const tax = p.oneOf('tax_exempt', ['none', 'exempt', 'reverse'] as const);
    if (tax) customer.tax_exempt = tax;
    const settings = p.obj('invoice_settings');
    if (settings?.has('default_payment_method')) {
      const pm = settings.str('default_payment_method');
      customer.invoice_settings = {
        ...customer.invoice_settings,
        default_payment_method: pm ? resolvePaymentMethod(emu, scope, pm, 'invoice_settings[default_payment_method]', customer.id) : null,
      };
    }
  });
}

/** Cancels the customer's subscriptions, then deletes it (`customer.deleted`). */
export function deleteCustomer(emu: Emulator, scope: Scope, customer: Stripe.Customer): void {
  for (const sub of scope.subscriptions.values()) {
    if (sub.customer === customer.id && sub.status !== 'canceled' && sub.status !== 'incomplete_expired') {
      cancelSubscription(emu, scope, sub, { reason: 'cancellation_requested' });
    }
  }
  scope.customers.remove(customer.id);
  emu.events.publish(scope, 'customer.deleted', customer);
}

export function customerRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/customers', [
    'address[city]', 'address[country]', 'address[line1]', 'address[line2]', 'address[postal_code]', 'address[state]',
    'balance', 'description', 'email', 'invoice_settings[default_payment_method]', 'metadata', 'name', 'payment_method',
    'phone', 'preferred_locales', 'tax_exempt', 'test_clock',
  ], ({ scope, p }) => createCustomer(emu, scope, p));
  // A deleted customer is still retrievable, as its `deleted: true` stub (Stripe does the same).
  r.add('GET', '/v1/customers/:id', [], ({ scope, params }) =>
    scope.customers.wasDeleted(params.id) ? deletedStub(params.id, 'customer') : scope.customers.require(params.id),
  );
  r.add('POST', '/v1/customers/:id', [
    'address[city]', 'address[country]', 'address[line1]', 'address[line2]', 'address[postal_code]', 'address[state]',
    'balance', 'description', 'email', 'invoice_settings[default_payment_method]', 'metadata', 'name', 'phone',
    'preferred_locales', 'tax_exempt',
  ], ({ scope, params, p }) => updateCustomer(emu, scope, scope.customers.require(params.id), p));
  r.add('GET', '/v1/customers', ['created', 'email', 'ending_before', 'limit', 'starting_after', 'test_clock'], ({ scope, p }) => {
    const email = p.str('email');
    const created = createdFilter(p);
    // As Stripe: customers on a test clock are listed only when that clock is asked for.
    const testClock = p.str('test_clock') || null;
    return pageOf(scope.customers, p, '/v1/customers', (c) => (!email || c.email === email) && (!created || created(c.created)) && (c.test_clock ?? null) === testClock);
  });
  r.add('DELETE', '/v1/customers/:id', [], ({ scope, params }) => {
    const customer = scope.customers.require(params.id);
    deleteCustomer(emu, scope, customer);
    return deletedStub(customer.id, 'customer');
  });
}
