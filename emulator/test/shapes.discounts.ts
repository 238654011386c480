// The shape check's samples of coupons, promotion codes and discounts (shapes.spec.ts calls it):
// each answer and, through the harness's receiver, each event these calls publish.
import type Stripe from 'stripe';
import type { RunningEmulator } from '../src/index.js';

type Add = (label: string, type: string, value: unknown) => void;
type ErrorOf = (call: Promise<unknown>) => Promise<unknown>;

export async function discountSamples(stripe: Stripe, emu: RunningEmulator, add: Add, errorOf: ErrorOf): Promise<void> {
  const product = await stripe.products.create({ name: 'Discounted plan' });
  const price = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month' } });
  const customer = await stripe.customers.create({ email: 'discount@example.com', invoice_settings: { default_payment_method: 'pm_card_visa' } });

  const percent = await stripe.coupons.create({ percent_off: 20, duration: 'repeating', duration_in_months: 3, name: '20% off', max_redemptions: 10, applies_to: { products: [product.id] } });
  add('POST /v1/coupons', 'Stripe.Coupon', percent);
  const amount = await stripe.coupons.create({ id: 'SHAPE300', amount_off: 300, currency: 'jpy', duration: 'once', redeem_by: emu.now() + 86_400, currency_options: { usd: { amount_off: 3 } } });
  add('POST /v1/coupons (amount_off)', 'Stripe.Coupon', amount);
  add('POST /v1/coupons/:id', 'Stripe.Coupon', await stripe.coupons.update(amount.id, { name: '¥300 off', metadata: { campaign: 'shape' } }));
  add('GET /v1/coupons/:id', 'Stripe.Coupon', await stripe.coupons.retrieve(percent.id));
  add('GET /v1/coupons', 'Stripe.ApiList<Stripe.Coupon>', await stripe.coupons.list({ limit: 3 }));

  const promo = await stripe.promotionCodes.create({
    promotion: { type: 'coupon', coupon: percent.id },
    code: 'SHAPE20',
    max_redemptions: 5,
    expires_at: emu.now() + 86_400,
    restrictions: { minimum_amount: 500, minimum_amount_currency: 'jpy', first_time_transaction: false },
    metadata: { a: 'b' },
  });
  add('POST /v1/promotion_codes', 'Stripe.PromotionCode', promo);
  add('POST /v1/promotion_codes/:id', 'Stripe.PromotionCode', await stripe.promotionCodes.update(promo.id, { metadata: { c: 'd' } }));
  add('GET /v1/promotion_codes/:id?expand[]=promotion.coupon', 'Stripe.PromotionCode', await stripe.promotionCodes.retrieve(promo.id, { expand: ['promotion.coupon'] }));
  add('GET /v1/promotion_codes', 'Stripe.ApiList<Stripe.PromotionCode>', await stripe.promotionCodes.list({ coupon: percent.id }));

  const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], discounts: [{ promotion_code: promo.id }, { coupon: amount.id }] });
  add('POST /v1/subscriptions (discounts)', 'Stripe.Subscription', sub);
  add('GET /v1/subscriptions/:id?expand[]=discounts', 'Stripe.Subscription', await stripe.subscriptions.retrieve(sub.id, { expand: ['discounts'] }));
  add('GET /v1/invoices/:id (discounted)', 'Stripe.Invoice', await stripe.invoices.retrieve(sub.latest_invoice as string, { expand: ['discounts', 'total_discount_amounts.discount'] }));
  add('POST /v1/invoices/create_preview (discounted)', 'Stripe.Invoice', await stripe.invoices.createPreview({ subscription: sub.id }));
  add('POST /v1/subscriptions/:id (discounts)', 'Stripe.Subscription', await stripe.subscriptions.update(sub.id, { discounts: [{ coupon: percent.id }] }));
  add('DELETE /v1/subscriptions/:id/discount', 'Stripe.DeletedDiscount', await stripe.subscriptions.deleteDiscount(sub.id));

  const session = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id }], success_url: 'https://x.example/ok', discounts: [{ coupon: percent.id }] });
  add('POST /v1/checkout/sessions (discounts)', 'Stripe.Checkout.Session', session);
  add('GET /v1/checkout/sessions/:id/line_items (discounted)', 'Stripe.ApiList<Stripe.LineItem>', await stripe.checkout.sessions.listLineItems(session.id));
  add('POST /v1/checkout/sessions (allow_promotion_codes)', 'Stripe.Checkout.Session', await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id }], success_url: 'https://x.example/ok', allow_promotion_codes: true }));

  add('DELETE /v1/coupons/:id', 'Stripe.DeletedCoupon', await stripe.coupons.del(amount.id));
  const single = await stripe.coupons.create({ percent_off: 5, max_redemptions: 1 });
  await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], discounts: [{ coupon: single.id }] });
  add('400 coupon_expired', 'Stripe.StripeRawError', await errorOf(stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], discounts: [{ coupon: single.id }] })));
}
