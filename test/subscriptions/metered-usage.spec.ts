import { createFreeeCatalog, reproduceFreeeStore, USAGE_EVENT_NAME, type FreeeFixtures } from '../../scripts/fixtures/freee-store.js';
import { startStack, type Stack } from '../support/stack.js';
import { issueKey, lookupMap } from '../app-payment-customers/helpers.js';
import { authed, ownerToken, setCatalog } from './helpers.js';

const iso = (unix: number) => new Date(unix * 1000).toISOString();

/**
 * Seed 004's 従量料金: a company subscribed by the freee app store to a fixed price (quantity 1) and
 * a metered price (¥10 a unit, 10 % tax), whose usage is reported to Stripe as meter events. At the
 * period end Stripe's renewal invoice bills the fixed price for the new period and the usage of the
 * period that ended; the service's invoice mirror (the billing page's invoice list) and the partner
 * lookup then show what Stripe billed and holds, through webhooks alone.
 */
describe('a fixed + metered subscription billed for its reported usage (seed 004, 従量料金)', () => {
  let s: Stack;
  let key: string;
  let fx: FreeeFixtures;
  const companies = { trial: '3002001', contracted: '3002002', canceled: '3002003' };

  beforeAll(async () => {
    s = await startStack();
    key = (await issueKey(s)).key;
    const catalog = await createFreeeCatalog(s.stripe);
    fx = await reproduceFreeeStore(s.stripe, companies, catalog);
    await setCatalog(s, 'default', [catalog.fixedPrice.id, catalog.meteredPrice.id]);
    await s.settle();
  });
  afterAll(() => s.close());

  const invoicesOf = async (company: string) => {
    const res = await authed(s.http().get('/api/subscriptions/invoices'), await ownerToken(company));
    expect(res.status).toBe(200);
    return res.body.data as { id: string; billing_reason: string; status: string; total: number; amount_paid: number; period_start: string; period_end: string }[];
  };
  const report = (value: number, identifier: string) =>
    s.stripe.billing.meterEvents.create({ event_name: USAGE_EVENT_NAME, payload: { stripe_customer_id: fx.contractedCustomer.id, value: String(value) }, identifier });

  it('bills the usage of the ended period on the renewal invoice, mirrored with its amount and period; the lookup shows the metered item without quantity', async () => {
    const sub = fx.contractedSubscription;
    const metered = sub.items.data.find((i) => i.price.id === fx.catalog.meteredPrice.id)!;
    const { current_period_start: start, current_period_end: end } = metered;

    // The first invoice: the fixed price only (no usage yet), plus tax.
    const [first] = await invoicesOf(companies.contracted);
    expect(first).toMatchObject({ billing_reason: 'subscription_create', status: 'paid', total: 3300, period_start: iso(start), period_end: iso(end) });

    // Usage during the period; a retry of a report (same identifier) is refused, not counted twice.
    await report(120, 'usage-3002002-1');
    await report(30, 'usage-3002002-2');
    await expect(report(30, 'usage-3002002-2')).rejects.toMatchObject({ statusCode: 400, param: 'identifier' });
    const preview = await s.stripe.invoices.createPreview({ subscription: sub.id });
    expect(preview.total).toBe(4950);

    await s.advance(end - s.emulator.now() + 1);

    const renewal = (await s.stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0]!;
    const usageLine = renewal.lines.data.find((l) => l.pricing?.price_details?.price === fx.catalog.meteredPrice.id)!;
    expect(usageLine).toMatchObject({ quantity: 150, amount: 1500, period: { start, end } });
    const invoices = await invoicesOf(companies.contracted);
    expect(invoices.map((i) => i.id)).toEqual([renewal.id, first!.id]);
    // The renewal pays for the new period (the fixed price in advance); the usage line, in arrears, does not stretch it back.
    expect(invoices[0]).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', total: 4950, amount_paid: 4950, period_start: iso(end) });
    expect(Date.parse(invoices[0]!.period_end)).toBeGreaterThan(Date.parse(iso(end)));

    const lookup = await lookupMap(s, key, [companies.contracted]);
    expect(lookup.get(companies.contracted)).toMatchObject({
      stripe_subscription_ids: [sub.id],
      stripe_price_id: fx.catalog.fixedPrice.id,
      quantity: 1,
      status: 'active',
      contracted: true,
      items: [
        { price_id: fx.catalog.fixedPrice.id, quantity: 1, usage_type: 'licensed' },
        { price_id: fx.catalog.meteredPrice.id, quantity: null, usage_type: 'metered' },
      ],
    });
    // What the partner then reads from Stripe: the metered item has no quantity there either.
    const inStripe = await s.stripe.subscriptions.retrieve(sub.id);
    expect(inStripe.items.data.find((i) => i.price.id === fx.catalog.meteredPrice.id)!.quantity).toBeUndefined();
  });
});
