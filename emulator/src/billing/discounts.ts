// Discounts: a coupon (or a promotion code's coupon) applied to a subscription, a customer or a
// checkout session, and what they take off an invoice. A subscription's discounts apply to its
// invoices; a customer's to the invoices of subscriptions that have none of their own. Duration:
// `once` applies to one invoice, `repeating` to invoices made before `end` (start + months),
// `forever` to all. Amounts are taken off the discountable lines (not prorations), in the order
// of the discounts, each on what the ones before left; taxes are computed on what remains.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import type { Params } from '../http/params.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { nextBoundary } from './periods.js';

/** A discount asked for (`discounts[][coupon|promotion_code|discount]`), checked, not yet attached. */
export interface DiscountSpec {
  coupon: Stripe.Coupon;
  promotionCode: Stripe.PromotionCode | null;
  /** An existing discount to keep (`discounts[][discount]`). */
  existing: Stripe.Discount | null;
}

/** `valid` follows `redeem_by` and `max_redemptions`; refreshed whenever the coupon is read or used. */
export function refreshCoupon(now: number, coupon: Stripe.Coupon): Stripe.Coupon {
  coupon.valid = !(coupon.redeem_by !== null && coupon.redeem_by <= now) && !(coupon.max_redemptions !== null && coupon.times_redeemed >= coupon.max_redemptions);
  return coupon;
}

function couponOf(scope: Scope, code: Stripe.PromotionCode): Stripe.Coupon {
  const id = code.promotion.coupon;
  return scope.coupons.require(typeof id === 'string' ? id : id!.id);
}

/**
 * Reads `discounts[]` (or `[]`/empty to clear). `undefined` when the parameter is absent. Checks
 * what Stripe checks before attaching: the coupon exists and is valid, its currency matches, the
 * promotion code is active, unexpired, not used up and (when restricted) the customer's.
 */
export function parseDiscounts(
  emu: Emulator,
  scope: Scope,
  p: Params,
  key: string,
  ctx: { customer: string | null; currency: string | null; amount?: number; current?: string[] },
): DiscountSpec[] | undefined {
  if (!p.has(key)) return undefined;
  const list = p.list(key) ?? [];
  const now = emu.clockOf(scope, ctx.customer).now();
  return list.map((d, i) => {
    const param = `${key}[${i}]`;
    const given = ['coupon', 'promotion_code', 'discount'].filter((k) => d.str(k));
    if (given.length !== 1) throw errors.invalid('You must specify exactly one of `coupon`, `promotion_code` or `discount`.', param);
    const existingId = d.str('discount');
    if (existingId) {
      const existing = scope.discounts.get(existingId);
      if (!existing || !(ctx.current ?? []).includes(existingId)) throw errors.notFound('discount', existingId, `${param}[discount]`);
      return { coupon: couponOfDiscount(existing), promotionCode: null, existing };
    }
    let promotionCode: Stripe.PromotionCode | null = null;
    let coupon: Stripe.Coupon;
    const codeId = d.str('promotion_code');
    if (codeId) {
      promotionCode = scope.promotionCodes.require(codeId, `${param}[promotion_code]`);
      checkPromotionCode(now, promotionCode, ctx, `${param}[promotion_code]`);
      coupon = couponOf(scope, promotionCode);
    } else {
      const couponId = d.reqStr('coupon');
      coupon = scope.coupons.require(couponId, `${param}[coupon]`);
    }
    if (!refreshCoupon(now, coupon).valid) throw errors.invalid(`Coupon expired: ${coupon.id}`, `${param}[${codeId ? 'promotion_code' : 'coupon'}]`, 'coupon_expired');
    if (coupon.amount_off !== null && ctx.currency && coupon.currency !== ctx.currency) {
      throw errors.invalid(`The coupon's currency (${coupon.currency}) does not match the currency of this object (${ctx.currency}).`, `${param}[coupon]`);
    }
    return { coupon, promotionCode, existing: null };
  });
}

/** Each discount's coupon object: a deleted coupon's discounts live on with its terms, as in Stripe. */
const coupons = new WeakMap<Stripe.Discount, Stripe.Coupon>();

export function couponOfDiscount(d: Stripe.Discount): Stripe.Coupon {
  return coupons.get(d)!;
}

function checkPromotionCode(now: number, code: Stripe.PromotionCode, ctx: { customer: string | null; amount?: number }, param: string): void {
  const inactive = () => errors.invalid(`This promotion code is not active: ${code.code}`, param, 'promotion_code_inactive' as string);
  if (!code.active) throw inactive();
  if (code.expires_at !== null && code.expires_at <= now) throw inactive();
  if (code.max_redemptions !== null && code.times_redeemed >= code.max_redemptions) throw inactive();
  if (code.customer && code.customer !== ctx.customer) throw errors.invalid(`This promotion code cannot be redeemed by this customer.`, param);
  const min = code.restrictions.minimum_amount;
  if (min !== null && ctx.amount !== undefined && ctx.amount < min) {
    throw errors.invalid(`This promotion code requires a minimum amount of ${min} ${code.restrictions.minimum_amount_currency ?? ''}.`.trim(), param);
  }
}

/**
 * Turns specs into Discount objects of `owner`, counts the redemptions and publishes
 * `customer.discount.created`. Existing discounts are kept as they are.
 */
export function attachDiscounts(
  emu: Emulator,
  scope: Scope,
  specs: DiscountSpec[],
  owner: { customer: string | null; subscription?: string | null; checkout_session?: string | null; invoice?: string | null },
): string[] {
  const now = emu.clockOf(scope, owner.customer).now();
  return specs.map((spec) => {
    if (spec.existing) return spec.existing.id;
    const coupon = spec.coupon;
    const discount: Stripe.Discount = {
      id: newId('di'),
      object: 'discount',
      checkout_session: owner.checkout_session ?? null,
      customer: owner.customer,
      customer_account: null,
      end: coupon.duration === 'repeating' && coupon.duration_in_months ? nextBoundary(now, { interval: 'month', interval_count: coupon.duration_in_months }, now) : null,
      invoice: owner.invoice ?? null,
      invoice_item: null,
      promotion_code: spec.promotionCode?.id ?? null,
      source: { coupon: coupon.id, type: 'coupon' },
      start: now,
      subscription: owner.subscription ?? null,
      subscription_item: null,
    };
    scope.discounts.add(discount);
    coupons.set(discount, coupon);
    coupon.times_redeemed++;
    refreshCoupon(now, coupon);
    if (spec.promotionCode) spec.promotionCode.times_redeemed++;
    if (discount.customer) emu.events.publish(scope, 'customer.discount.created', discount);
    return discount.id;
  });
}

/** Ends a discount: `customer.discount.deleted` (the coupon and its other discounts stay). */
export function endDiscount(emu: Emulator, scope: Scope, id: string): Stripe.DeletedDiscount | null {
  const discount = scope.discounts.get(id);
  if (!discount) return null;
  scope.discounts.remove(id);
  if (discount.customer) emu.events.publish(scope, 'customer.discount.deleted', discount);
  const { end: _end, ...rest } = discount;
  return { ...rest, deleted: true };
}

/** Ends the discounts of `current` that the new list no longer holds. */
export function replaceDiscounts(emu: Emulator, scope: Scope, current: readonly (string | { id: string })[], next: string[]): void {
  for (const d of current) {
    const id = typeof d === 'string' ? d : d.id;
    if (!next.includes(id)) endDiscount(emu, scope, id);
  }
}

function stillApplies(scope: Scope, d: Stripe.Discount, at: number): boolean {
  if (couponOfDiscount(d).duration === 'once') return !scope.usedDiscounts.has(d.id);
  return d.end === null || at < d.end;
}

/** The discounts an invoice of `sub` made at `at` gets: the subscription's, else the customer's. */
export function discountsFor(scope: Scope, sub: Pick<Stripe.Subscription, 'discounts' | 'customer'>, at: number): Stripe.Discount[] {
  const own = (sub.discounts ?? []).map((d) => scope.discounts.get(typeof d === 'string' ? d : d.id)).filter((d): d is Stripe.Discount => !!d);
  const customer = scope.customers.get(sub.customer as string);
  const list = own.length > 0 ? own : customer?.discount ? [customer.discount] : [];
  return list.filter((d) => stillApplies(scope, d, at));
}

/** A line a discount may apply to. */
export interface Discountable {
  amount: number;
  product: string | null;
  discountable: boolean;
}

/**
 * What each coupon takes off each line: `[coupon][line]`. The coupons apply in order, each on what
 * the ones before left. An `amount_off` is spread over the lines it applies to in proportion to
 * their amounts (the last line takes the rounding), never more than they come to.
 */
export function amountsOff(couponList: Stripe.Coupon[], lines: Discountable[]): number[][] {
  const remaining = lines.map((l) => (l.discountable ? l.amount : 0));
  return couponList.map((coupon) => {
    const products = coupon.applies_to?.products;
    const off = lines.map(() => 0);
    const eligible = lines.map((l, i) => i).filter((i) => remaining[i] > 0 && (!products || products.includes(lines[i].product ?? '')));
    const base = eligible.reduce((s, i) => s + remaining[i], 0);
    if (coupon.percent_off !== null) {
      for (const i of eligible) off[i] = Math.round((remaining[i] * coupon.percent_off) / 100);
    } else if (coupon.amount_off !== null && base > 0) {
      const amount = Math.min(coupon.amount_off, base);
      let left = amount;
      eligible.forEach((i, n) => {
        off[i] = n === eligible.length - 1 ? left : Math.min(left, Math.round((amount * remaining[i]) / base));
        left -= off[i];
      });
    }
    for (const i of eligible) remaining[i] -= off[i];
    return off;
  });
}

/** Takes the discounts off an invoice's `lines` (their `discount_amounts`); returns its `total_discount_amounts`. */
export function applyDiscounts(discounts: Stripe.Discount[], lines: Stripe.InvoiceLineItem[]): Stripe.Invoice.TotalDiscountAmount[] {
  const off = amountsOff(
    discounts.map(couponOfDiscount),
    lines.map((l) => ({ amount: l.amount, product: l.pricing?.price_details?.product ?? null, discountable: l.discountable })),
  );
  lines.forEach((l, i) => {
    l.discount_amounts = discounts.map((d, n) => ({ amount: off[n][i], discount: d.id }));
  });
  return discounts.map((d, n) => ({ amount: off[n].reduce((a, b) => a + b, 0), discount: d.id }));
}

/** What a line comes to after its discounts (what taxes are computed on). */
export function discountedAmount(line: Stripe.InvoiceLineItem): number {
  return line.amount - (line.discount_amounts ?? []).reduce((s, d) => s + d.amount, 0);
}

/**
 * Before a subscription's invoice is really made: discounts that no longer apply (a `once` one
 * already used, a `repeating` one past its `end`) are removed from the subscription and the
 * customer with `customer.discount.deleted`. The caller announces the subscription's change.
 */
export function expireDiscounts(emu: Emulator, scope: Scope, sub: Stripe.Subscription): void {
  const now = emu.clockOf(scope, sub.customer).now();
  const expired = (id: string) => {
    const d = scope.discounts.get(id);
    return !d || !stillApplies(scope, d, now);
  };
  const ids = (sub.discounts ?? []).map((d) => (typeof d === 'string' ? d : d.id));
  const gone = ids.filter(expired);
  if (gone.length > 0) {
    sub.discounts = ids.filter((id) => !gone.includes(id));
    for (const id of gone) endDiscount(emu, scope, id);
  }
  const customer = scope.customers.get(sub.customer as string);
  if (customer?.discount && expired(customer.discount.id)) {
    const id = customer.discount.id;
    customer.discount = null;
    endDiscount(emu, scope, id);
  }
}

/** After a stored invoice used them: `once` discounts are spent. */
export function spendDiscounts(scope: Scope, invoice: Stripe.Invoice): void {
  for (const t of invoice.total_discount_amounts ?? []) {
    const d = scope.discounts.get(typeof t.discount === 'string' ? t.discount : t.discount.id);
    if (d && couponOfDiscount(d).duration === 'once') scope.usedDiscounts.add(d.id);
  }
}
