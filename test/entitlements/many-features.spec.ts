import type Stripe from 'stripe';
import { createTier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { authed, ownerToken, setCatalog, urls } from '../subscriptions/helpers.js';

/**
 * A plan of more than 10 features: Stripe's `entitlements.active_entitlement_summary.updated` embeds
 * the first 10 entitlements and sets `has_more`; the service must read the rest from Stripe's active
 * entitlements list, or an account would lose the features past the tenth.
 */
describe('a plan with more features than the summary event embeds', () => {
  let s: Stack;
  let tier: Awaited<ReturnType<typeof createTier>>;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(() => s.close());

  it('the account gets all 12 features, though the event carried 10 with has_more', async () => {
    // The last key sorts first by code point ('-' is before '_') and last by ICU's collation.
    const keys = [...Array.from({ length: 11 }, (_, i) => `feature_${String(i + 1).padStart(2, '0')}`), 'feature-12'];
    tier = await createTier(s.stripe, 'Wide', keys);
    await setCatalog(s, 'default', [tier.monthly.id]);
    await s.settle();

    const token = await ownerToken('WIDE');
    const checkout = await authed(s.http().post('/api/subscriptions/stripe/checkout-session'), token).send({ price_id: tier.monthly.id, ...urls });
    expect(checkout.status).toBe(200);
    await s.payCheckout(checkout.body.id);
    await s.settle();

    const [event] = (await s.stripe.events.list({ type: 'entitlements.active_entitlement_summary.updated', limit: 1 })).data;
    const summary = event!.data.object as Stripe.Entitlements.ActiveEntitlementSummary;
    expect([summary.entitlements.data.length, summary.entitlements.has_more]).toEqual([10, true]);

    const features = await authed(s.http().get('/api/subscriptions/features'), token);
    expect(features.status).toBe(200);
    expect(features.body.data.map((f: { lookup_key: string }) => f.lookup_key).sort()).toEqual(tier.features.map((f) => f.lookup_key).sort());
  });

  it('lists the features by lookup_key in code-point order, the same on every machine', async () => {
    const token = await ownerToken('WIDE');
    const features = await authed(s.http().get('/api/subscriptions/features'), token);
    const codePointOrder = tier.features.map((f) => f.lookup_key).sort();
    // The case this is about: the hyphenated key first, where localeCompare would put it last.
    expect(codePointOrder[0]).toMatch(/^feature-12/);
    expect(features.body.data.map((f: { lookup_key: string }) => f.lookup_key)).toEqual(codePointOrder);
  });
});
