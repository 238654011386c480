// PaymentMethods (cards only): created from a test card number, a test token (`tok_visa`) or one
// of Stripe's `pm_card_*` ids (each use makes a fresh pm, as Stripe does); attached to and detached
// from customers. The `Stripe.PaymentMethod` object is what the API shows; the CardInfo beside it
// (billing/cards.ts) is what decides the outcome of a charge.
import type Stripe from 'stripe';
import { cardInfo, TEST_PAYMENT_METHODS, type CardInfo } from '../billing/cards.js';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { createdFilter, pageOf } from '../http/list.js';
import type { Params } from '../http/params.js';
import type { ApiRouter } from '../http/routes.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { addressParam, nullableStr, updateWithEvent } from './common.js';

/** Stripe's test tokens (`card[token]=tok_visa`): the `pm_card_*` of the same name. */
function tokenCard(token: string): string | undefined {
  return token.startsWith('tok_') ? TEST_PAYMENT_METHODS[`pm_card_${token.slice(4)}`] : undefined;
}

const FUNDING: Record<string, string> = { visa: 'credit', mastercard: 'credit', amex: 'credit' };

function paymentMethodObject(emu: Emulator, card: CardInfo, billing: Stripe.PaymentMethod.BillingDetails, metadata: Record<string, string>, exp?: { month: number; year: number }): Stripe.PaymentMethod {
  const year = new Date(emu.clock.now() * 1000).getUTCFullYear();
  return {
    id: card.id,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: billing,
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: card.brand === 'amex' ? 'american_express' : card.brand,
      exp_month: exp?.month ?? 12,
      exp_year: exp?.year ?? year + 3,
      fingerprint: card.number.slice(-8),
      funding: FUNDING[card.brand] ?? 'unknown',
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: emu.clock.now(),
    customer: null,
    customer_account: null,
    livemode: false,
    metadata,
    type: 'card',
  };
}

const NO_BILLING = (): Stripe.PaymentMethod.BillingDetails => ({ address: null, email: null, name: null, phone: null, tax_id: null });

/** A card number → a new payment method in the scope. */
export function paymentMethodForCard(
  emu: Emulator,
  scope: Scope,
  number: string,
  extra: { billing?: Stripe.PaymentMethod.BillingDetails; metadata?: Record<string, string>; exp?: { month: number; year: number } } = {},
): Stripe.PaymentMethod {
  const digits = number.replace(/[\s-]/g, '');
  if (!/^\d{13,19}$/.test(digits)) throw errors.card('invalid_number', 'Your card number is incorrect.', { code: 'incorrect_number' });
  const card = cardInfo(newId('pm'), digits);
  scope.cards.set(card.id, card);
  return scope.paymentMethods.add(paymentMethodObject(emu, card, extra.billing ?? NO_BILLING(), extra.metadata ?? {}, extra.exp));
}

/**
 * Accepts Stripe's `pm_card_*` test ids (each use makes a fresh pm, as Stripe does) and known pm ids.
 * With `customer`, a pm not attached to any customer is attached to it without an event: Stripe
 * refuses a default payment method that is not the customer's, the emulator lets the test ids
 * stand for "a card of this customer" (README, Differences from Stripe).
 */
export function resolvePaymentMethod(emu: Emulator, scope: Scope, id: string, param: string, customer?: string): string {
  const testNumber = TEST_PAYMENT_METHODS[id];
  const pm = testNumber ? paymentMethodForCard(emu, scope, testNumber) : scope.paymentMethods.get(id);
  if (!pm) throw errors.notFound('PaymentMethod', id, param);
  if (customer) {
    if (pm.customer === null) pm.customer = customer;
    else if (pm.customer !== customer) {
      throw errors.invalid(`The payment method \`${pm.id}\` belongs to the Customer \`${String(pm.customer)}\`. Please try again with the correct customer.`, param);
    }
  }
  return pm.id;
}

/** The payment method object of a pm id (the test ids make a new one). */
export function requirePaymentMethod(emu: Emulator, scope: Scope, id: string, param: string): Stripe.PaymentMethod {
  return scope.paymentMethods.get(resolvePaymentMethod(emu, scope, id, param))!;
}

function billingParam(p: Params | undefined, current: Stripe.PaymentMethod.BillingDetails): Stripe.PaymentMethod.BillingDetails {
  if (!p) return current;
  return {
    address: p.has('address') ? (p.isEmpty('address') ? null : addressParam(p.obj('address'), current.address)) : current.address,
    email: nullableStr(p, 'email', current.email),
    name: nullableStr(p, 'name', current.name),
    phone: nullableStr(p, 'phone', current.phone),
    tax_id: nullableStr(p, 'tax_id', current.tax_id),
  };
}

function createPaymentMethod(emu: Emulator, scope: Scope, p: Params): Stripe.PaymentMethod {
  const type = p.reqStr('type');
  if (type !== 'card') throw errors.invalid(`The emulator supports type=card only (got ${type}).`, 'type');
  const card = p.obj('card');
  if (!card) throw errors.missing('card');
  const token = card.str('token');
  let number: string | undefined;
  if (token) {
    number = tokenCard(token);
    if (!number) throw errors.invalid(`No such token: '${token}'`, 'card[token]', 'resource_missing');
  } else {
    number = card.reqStr('number');
    const month = card.int('exp_month');
    const year = card.int('exp_year');
    if (month === undefined) throw errors.missing('card[exp_month]');
    if (year === undefined) throw errors.missing('card[exp_year]');
    if (month < 1 || month > 12) throw errors.card('invalid_expiry_month', "Your card's expiration month is invalid.", { code: 'invalid_expiry_month', param: 'card[exp_month]' });
    const pm = paymentMethodForCard(emu, scope, number, { billing: billingParam(p.obj('billing_details'), NO_BILLING()), metadata: p.metadata(), exp: { month, year: year < 100 ? 2000 + year : year } });
    return pm;
  }
  // Stripe sends no event for a new payment method (only for attach, detach and update).
  return (paymentMethodForCard(emu, scope, number, { billing: billingParam(p.obj('billing_details'), NO_BILLING()), metadata: p.metadata() }));
}

export function attachPaymentMethod(emu: Emulator, scope: Scope, pm: Stripe.PaymentMethod, customerId: string, param = 'customer'): Stripe.PaymentMethod {
  const customer = scope.customers.require(customerId, param);
  if (pm.customer === customer.id) return pm;
  if (pm.customer) {
    throw errors.invalid(`The payment method you provided has already been attached to a customer.`, undefined, 'payment_method_already_attached' as string);
  }
  pm.customer = customer.id;
  emu.events.publish(scope, 'payment_method.attached', pm);
  return pm;
}

export function detachPaymentMethod(emu: Emulator, scope: Scope, pm: Stripe.PaymentMethod): Stripe.PaymentMethod {
  if (!pm.customer) throw errors.invalid(`The payment method you provided is not attached to a customer so detachment is impossible.`, undefined, 'payment_method_unexpected_state');
  const customer = scope.customers.get(String(pm.customer));
  const previous = pm.customer;
  pm.customer = null;
  // A detached card can no longer be anyone's default (Stripe clears it too).
  if (customer && customer.invoice_settings.default_payment_method === pm.id) {
    updateWithEvent(emu, scope, 'customer.updated', customer, () => {
      customer.invoice_settings = { ...customer.invoice_settings, default_payment_method: null };
    });
  }
  emu.events.publish(scope, 'payment_method.detached', pm, { customer: previous });
  return pm;
}

function listFilter(p: Params, customer: string | undefined): (pm: Stripe.PaymentMethod) => boolean {
  const type = p.str('type');
  const redisplay = p.str('allow_redisplay');
  const created = createdFilter(p);
  return (pm) => (!customer || pm.customer === customer) && (!type || pm.type === type) && (!redisplay || pm.allow_redisplay === redisplay) && (!created || created(pm.created));
}

export function paymentMethodRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/payment_methods', [
    'billing_details[address][city]', 'billing_details[address][country]', 'billing_details[address][line1]',
    'billing_details[address][line2]', 'billing_details[address][postal_code]', 'billing_details[address][state]',
    'billing_details[email]', 'billing_details[name]', 'billing_details[phone]', 'billing_details[tax_id]',
    'card[exp_month]', 'card[exp_year]', 'card[number]', 'card[token]', 'metadata', 'type',
  ], ({ scope, p }) => createPaymentMethod(emu, scope, p));
  r.add('GET', '/v1/payment_methods/:id', [], ({ scope, params }) => scope.paymentMethods.require(params.id));
  r.add('POST', '/v1/payment_methods/:id', [
    'allow_redisplay', 'billing_details[email]', 'billing_details[name]', 'billing_details[phone]',
    'billing_details[tax_id]', 'metadata',
  ], ({ scope, params, p }) => {
    const pm = scope.paymentMethods.require(params.id);
    if (!pm.customer) throw errors.invalid('You must save this PaymentMethod to a customer before you can update it.', undefined, 'payment_method_unexpected_state');
    return updateWithEvent(emu, scope, 'payment_method.updated', pm, () => {
      pm.billing_details = billingParam(p.obj('billing_details'), pm.billing_details);
      pm.metadata = p.metadata('metadata', pm.metadata ?? {});
      const redisplay = p.oneOf('allow_redisplay', ['always', 'limited', 'unspecified'] as const);
      if (redisplay) pm.allow_redisplay = redisplay;
      const card = p.obj('card');
      if (card && pm.card) pm.card = { ...pm.card, exp_month: card.int('exp_month') ?? pm.card.exp_month, exp_year: card.int('exp_year') ?? pm.card.exp_year };
    });
  });
  r.add('GET', '/v1/payment_methods', ['allow_redisplay', 'customer', 'ending_before', 'limit', 'starting_after', 'type'], ({ scope, p }) => pageOf(scope.paymentMethods, p, '/v1/payment_methods', listFilter(p, p.str('customer'))));
  r.add('POST', '/v1/payment_methods/:id/attach', ['customer'], ({ scope, params, p }) => {
    const pm = requirePaymentMethod(emu, scope, params.id, 'payment_method');
    return attachPaymentMethod(emu, scope, pm, p.reqStr('customer'));
  });
  r.add('POST', '/v1/payment_methods/:id/detach', [], ({ scope, params }) => detachPaymentMethod(emu, scope, scope.paymentMethods.require(params.id)));
  r.add('GET', '/v1/customers/:id/payment_methods', ['allow_redisplay', 'ending_before', 'limit', 'starting_after', 'type'], ({ scope, params, p }) => {
    scope.customers.require(params.id);
    return pageOf(scope.paymentMethods, p, `/v1/customers/${params.id}/payment_methods`, listFilter(p, params.id));
  });
  r.add('GET', '/v1/customers/:id/payment_methods/:pm', [], ({ scope, params }) => {
    scope.customers.require(params.id);
    const pm = scope.paymentMethods.get(params.pm);
    if (!pm || pm.customer !== params.id) throw errors.notFound('payment_method', params.pm);
    return pm;
  });
}
