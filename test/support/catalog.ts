import type Stripe from 'stripe';

export interface Tier {
  product: Stripe.Product;
  monthly: Stripe.Price;
  yearly: Stripe.Price;
  features: Stripe.Entitlements.Feature[];
}

/** A product with a monthly and a yearly price and the features it grants, made through the SDK as a merchant would. */
export async function createTier(stripe: Stripe, name: string, featureKeys: string[], options: Stripe.RequestOptions = {}): Promise<Tier> {
  const product = await stripe.products.create({ name }, options);
  const monthly = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month' }, lookup_key: `${name}_monthly_${product.id}` }, options);
  const yearly = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 10000, recurring: { interval: 'year' }, lookup_key: `${name}_yearly_${product.id}` }, options);
  const features: Stripe.Entitlements.Feature[] = [];
  for (const key of featureKeys) {
    const feature = await stripe.entitlements.features.create({ name: key, lookup_key: `${key}_${product.id}` }, options);
    await stripe.products.createFeature(product.id, { entitlement_feature: feature.id }, options);
    features.push(feature);
  }
  return { product, monthly, yearly, features };
}
