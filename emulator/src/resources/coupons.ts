// Coupons, promotion codes and removing a customer's or a subscription's discount. What a
// discount takes off an invoice is billing/discounts.ts.
import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { endDiscount, refreshCoupon } from '../billing/discounts.js';
import { mutate } from '../billing/subscription-objects.js';
import type { Emulator } from '../emulator.js';
import { errors, StripeApiError } from '../http/errors.js';
import { createdFilter, pageOf } from '../http/list.js';
import type { Params } from '../http/params.js';
import type { ApiRouter } from '../http/routes.js';
import type { Scope } from '../store/scope.js';
import { deletedStub, updateWithEvent } from './common.js';

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** Stripe's generated coupon ids and promotion codes: 8 upper-case letters and digits. */
function randomCode(length = 8): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += CODE_ALPHABET[bytes[i] % CODE_ALPHABET.length];
  return out;
}

function currencyOptions(p: Params | undefined, field: string): Record<string, { [k: string]: number }> | undefined {
  if (!p) return undefined;
  const out: Record<string, { [k: string]: number }> = {};
  for (const [currency, opt] of p.entries()) {
    const v = opt.int(field);
    if (v === undefined) throw errors.missing(`currency_options[${currency}][${field}]`);
    out[currency.toLowerCase()] = { [field]: v };
  }
  return out;
}

export function createCoupon(emu: Emulator, scope: Scope, p: Params): Stripe.Coupon {
  const percentOff = p.num('percent_off');
  const amountOff = p.int('amount_off');
  if (percentOff === undefined && amountOff === undefined) throw errors.invalid('You must pass either `percent_off` or `amount_off`.', 'percent_off');
  if (percentOff !== undefined && amountOff !== undefined) throw errors.invalid('You may only specify one of these parameters: amount_off, percent_off.', 'amount_off');
  if (percentOff !== undefined && (percentOff <= 0 || percentOff > 100)) throw errors.invalid('Invalid percent_off: must be greater than 0 and at most 100.', 'percent_off');
  if (amountOff !== undefined && amountOff <= 0) throw errors.invalid('Invalid amount_off: must be greater than 0.', 'amount_off');
  const currency = p.str('currency')?.toLowerCase() || null;
  if (amountOff !== undefined && !currency) throw errors.missing('currency');
  const duration = p.oneOf('duration', ['forever', 'once', 'repeating'] as const) ?? 'once';
  const months = p.int('duration_in_months');
  if (duration === 'repeating' && (months === undefined || months < 1)) throw errors.invalid('You must specify `duration_in_months` when `duration` is `repeating`.', 'duration_in_months');
  if (duration !== 'repeating' && months !== undefined) throw errors.invalid('`duration_in_months` can only be set when `duration` is `repeating`.', 'duration_in_months');
  const maxRedemptions = p.int('max_redemptions');
  if (maxRedemptions !== undefined && maxRedemptions < 1) throw errors.invalid('Invalid max_redemptions: must be at least 1.', 'max_redemptions');
  const now = emu.clock.now();
  const redeemBy = p.int('redeem_by');
  if (redeemBy !== undefined && redeemBy <= now) throw errors.invalid('Invalid redeem_by: must be in the future.', 'redeem_by');
  const id = p.str('id') || randomCode();
  if (scope.coupons.get(id)) throw errors.invalid('Coupon already exists.', 'id', 'resource_already_exists');
  const products = p.obj('applies_to')?.strings('products');
  for (const [i, prod] of (products ?? []).entries()) scope.products.require(prod, `applies_to[products][${i}]`);
  const options = currencyOptions(p.obj('currency_options'), 'amount_off') as Record<string, Stripe.Coupon.CurrencyOptions> | undefined;
  const coupon: Stripe.Coupon = {
    id,
    object: 'coupon',
    amount_off: amountOff ?? null,
    ...(products ? { applies_to: { products } } : {}),
    created: now,
    currency: amountOff !== undefined ? currency : null,
    ...(options ? { currency_options: options } : {}),
    duration,
    duration_in_months: months ?? null,
    livemode: false,
    max_redemptions: maxRedemptions ?? null,
    metadata: p.metadata(),
    name: p.str('name') || null,
    percent_off: percentOff ?? null,
    redeem_by: redeemBy ?? null,
    times_redeemed: 0,
    valid: true,
  };
  scope.coupons.add(coupon);
  emu.events.publish(scope, 'coupon.created', coupon);
  return coupon;
}

function createPromotionCode(emu: Emulator, scope: Scope, p: Params): Stripe.PromotionCode {
  const promotion = p.obj('promotion');
  if (!promotion) throw errors.missing('promotion');
  promotion.oneOf('type', ['coupon'] as const);
  if (promotion.str('type') !== 'coupon') throw errors.missing('promotion[type]');
  const coupon = scope.coupons.require(promotion.reqStr('coupon'), 'promotion[coupon]');
  const code = p.str('code') || randomCode();
  if (!/^[A-Za-z0-9_-]{1,500}$/.test(code)) throw errors.invalid('Invalid code: only letters, digits, dashes and underscores are allowed.', 'code');
  const taken = scope.promotionCodes.find((c) => c.active && c.code.toUpperCase() === code.toUpperCase());
  if (taken) throw errors.invalid(`An active promotion code with \`code: ${code}\` already exists.`, 'code', 'resource_already_exists');
  const customer = p.str('customer') || null;
  if (customer) scope.customers.require(customer, 'customer');
  const now = emu.clock.now();
  const expiresAt = p.int('expires_at');
  if (expiresAt !== undefined && expiresAt <= now) throw errors.invalid('Invalid expires_at: must be in the future.', 'expires_at');
  if (expiresAt !== undefined && coupon.redeem_by !== null && expiresAt > coupon.redeem_by) {
    throw errors.invalid("The promotion code's `expires_at` may not be after the coupon's `redeem_by`.", 'expires_at');
  }
  const r = p.obj('restrictions');
  const minimum = r?.int('minimum_amount');
  const minimumCurrency = r?.str('minimum_amount_currency')?.toLowerCase() || null;
  if (minimum !== undefined && !minimumCurrency) throw errors.missing('restrictions[minimum_amount_currency]');
  const options = currencyOptions(r?.obj('currency_options'), 'minimum_amount') as Record<string, Stripe.PromotionCode.Restrictions.CurrencyOptions> | undefined;
  const promo: Stripe.PromotionCode = {
    id: `promo_${randomBytes(18).toString('base64url').replace(/[-_]/g, '0').slice(0, 24)}`,
    object: 'promotion_code',
    active: p.bool('active') ?? true,
    code,
    created: now,
    customer,
    customer_account: null,
    expires_at: expiresAt ?? null,
    livemode: false,
    max_redemptions: p.int('max_redemptions') ?? null,
    metadata: p.metadata(),
    promotion: { coupon: coupon.id, type: 'coupon' },
    restrictions: {
      ...(options ? { currency_options: options } : {}),
      first_time_transaction: r?.bool('first_time_transaction') ?? false,
      minimum_amount: minimum ?? null,
      minimum_amount_currency: minimum !== undefined ? minimumCurrency : null,
    },
    times_redeemed: 0,
  };
  scope.promotionCodes.add(promo);
  emu.events.publish(scope, 'promotion_code.created', promo);
  return promo;
}

/** Stripe's answer when there is no discount to delete. */
function noDiscount(what: string, id: string): StripeApiError {
  return new StripeApiError(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No active discount for ${what}: '${id}'`, param: 'id' });
}

export function couponRoutes(emu: Emulator, r: ApiRouter): void {
  const now = () => emu.clock.now();
  r.add('POST', '/v1/coupons', [
    'amount_off', 'applies_to[products]', 'currency', 'currency_options[*][amount_off]', 'duration', 'duration_in_months',
    'id', 'max_redemptions', 'metadata', 'name', 'percent_off', 'redeem_by',
  ], ({ scope, p }) => createCoupon(emu, scope, p));
  r.add('GET', '/v1/coupons/:id', [], ({ scope, params }) => refreshCoupon(now(), scope.coupons.require(params.id)));
  r.add('POST', '/v1/coupons/:id', ['metadata', 'name'], ({ scope, params, p }) => {
    const coupon = refreshCoupon(now(), scope.coupons.require(params.id));
    return updateWithEvent(emu, scope, 'coupon.updated', coupon, () => {
      if (p.has('name')) coupon.name = p.str('name') || null;
      coupon.metadata = p.metadata('metadata', coupon.metadata ?? {});
      const options = currencyOptions(p.obj('currency_options'), 'amount_off') as Record<string, Stripe.Coupon.CurrencyOptions> | undefined;
      if (options) coupon.currency_options = { ...coupon.currency_options, ...options };
    });
  });
  r.add('GET', '/v1/coupons', ['created', 'ending_before', 'limit', 'starting_after'], ({ scope, p }) => {
    const created = createdFilter(p);
    const page = pageOf(scope.coupons, p, '/v1/coupons', created ? (c) => created(c.created) : undefined);
    for (const c of page.data) refreshCoupon(now(), c);
    return page;
  });
  // The coupon goes; discounts made from it stay, with its terms (billing/discounts.ts keeps them).
  r.add('DELETE', '/v1/coupons/:id', [], ({ scope, params }) => {
    const coupon = refreshCoupon(now(), scope.coupons.require(params.id));
    scope.coupons.remove(coupon.id);
    emu.events.publish(scope, 'coupon.deleted', coupon);
    return deletedStub(coupon.id, 'coupon');
  });

  r.add('POST', '/v1/promotion_codes', [
    'active', 'code', 'customer', 'expires_at', 'max_redemptions', 'metadata', 'promotion[coupon]', 'promotion[type]',
    'restrictions[first_time_transaction]', 'restrictions[minimum_amount]', 'restrictions[minimum_amount_currency]',
  ], ({ scope, p }) => createPromotionCode(emu, scope, p));
  r.add('GET', '/v1/promotion_codes/:id', [], ({ scope, params }) => scope.promotionCodes.require(params.id));
  r.add('POST', '/v1/promotion_codes/:id', ['active', 'metadata'], ({ scope, params, p }) => {
    const promo = scope.promotionCodes.require(params.id);
    const active = p.bool('active');
    if (active === true && !promo.active && scope.promotionCodes.find((c) => c.active && c.id !== promo.id && c.code.toUpperCase() === promo.code.toUpperCase())) {
      throw errors.invalid(`An active promotion code with \`code: ${promo.code}\` already exists.`, 'active');
    }
    return updateWithEvent(emu, scope, 'promotion_code.updated', promo, () => {
      if (active !== undefined) promo.active = active;
      promo.metadata = p.metadata('metadata', promo.metadata ?? {});
      const options = currencyOptions(p.obj('restrictions')?.obj('currency_options'), 'minimum_amount') as
        | Record<string, Stripe.PromotionCode.Restrictions.CurrencyOptions>
        | undefined;
      if (options) promo.restrictions = { ...promo.restrictions, currency_options: { ...promo.restrictions.currency_options, ...options } };
    });
  });
  r.add('GET', '/v1/promotion_codes', ['active', 'code', 'coupon', 'created', 'customer', 'ending_before', 'limit', 'starting_after'], ({ scope, p }) => {
    const active = p.bool('active');
    const code = p.str('code');
    const coupon = p.str('coupon');
    const customer = p.str('customer');
    const created = createdFilter(p);
    return pageOf(
      scope.promotionCodes,
      p,
      '/v1/promotion_codes',
      (c) =>
        (active === undefined || c.active === active) &&
        (!code || c.code.toUpperCase() === code.toUpperCase()) &&
        (!coupon || c.promotion.coupon === coupon) &&
        (!customer || c.customer === customer) &&
        (!created || created(c.created)),
    );
  });

  r.add('DELETE', '/v1/customers/:id/discount', [], ({ scope, params }) => {
    const customer = scope.customers.require(params.id);
    const discount = customer.discount;
    if (!discount) throw noDiscount('customer', customer.id);
    updateWithEvent(emu, scope, 'customer.updated', customer, () => {
      customer.discount = null;
    });
    return endDiscount(emu, scope, discount.id)!;
  });
  r.add('DELETE', '/v1/subscriptions/:id/discount', [], ({ scope, params }) => {
    const sub = scope.subscriptions.require(params.id);
    const ids = (sub.discounts ?? []).map((d) => (typeof d === 'string' ? d : d.id));
    if (ids.length === 0) throw noDiscount('subscription', sub.id);
    // This API version's subscriptions hold a list; the endpoint removes the subscription-level ones.
    let removed: Stripe.DeletedDiscount | null = null;
    mutate(emu, scope, sub, () => {
      sub.discounts = [];
    });
    for (const id of ids) removed = endDiscount(emu, scope, id) ?? removed;
    return removed!;
  });
}
