import type Stripe from 'stripe';
import type supertest from 'supertest';
import { createTier, type Tier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { authed, expectError, memberToken, ownerToken, setCatalog, sqlOf, urls } from './helpers.js';

const DAY = 86_400;

/**
 * The preview of a change (`.../change/preview`, both route sets): what the change would bill, as
 * the emulator's invoice preview computes it like Stripe (prorated to the second), with nothing
 * changed in Stripe or in our tables; then the change itself bills what the preview said. The
 * expected amounts are computed here from the prices (monthly 1000, yearly 10000) and the period.
 */
describe('subscriptions API: the preview of a change', () => {
  let s: Stack;
  let tier: Tier;
  let monthlyOnly: Stripe.Price; // a product with no yearly price in the catalog
  let archived: Stripe.Price;
  let elsewhere: Stripe.Price; // not in the catalog

  beforeAll(async () => {
    s = await startStack();
    tier = await createTier(s.stripe, 'pro', ['pro_feature']);
    monthlyOnly = (await createTier(s.stripe, 'single', [])).monthly;
    elsewhere = (await createTier(s.stripe, 'elsewhere', [])).monthly;
    archived = await s.stripe.prices.create({ product: tier.product.id, currency: 'jpy', unit_amount: 500, recurring: { interval: 'month' } });
    await setCatalog(s, 'default', [tier.monthly.id, tier.yearly.id, monthlyOnly.id, archived.id]);
    await s.settle();
    await s.stripe.prices.update(archived.id, { active: false });
    await s.settle();
  });
  afterAll(() => s.close());

  /** An account's monthly subscription to `tier`, bought through checkout, 10 days into its period. */
  async function subscribe(account: string, price = tier.monthly.id): Promise<string> {
    const token = await ownerToken(account);
    const checkout = await authed(s.http().post('/api/subscriptions/stripe/checkout-session'), token).send({ price_id: price, ...urls });
    expect(checkout.status).toBe(200);
    await s.payCheckout(checkout.body.id);
    const synced = await authed(s.http().post('/api/subscriptions/stripe/checkout-session-sync'), token).send({ session_id: checkout.body.id });
    expect(synced.status).toBe(200);
    await s.advance(10 * DAY);
    return synced.body.id;
  }

  const preview = async (account: string, sub: string, body: object, token?: string): Promise<supertest.Response> =>
    authed(s.http().post(`/api/subscriptions/${sub}/change/preview`), token ?? (await ownerToken(account))).send(body);
  const previewScoped = async (account: string, sub: string, body: object, token?: string): Promise<supertest.Response> =>
    authed(s.http().post(`/api/accounts/${account}/subscriptions/change/preview`), token ?? (await ownerToken(account))).send({ subscription_id: sub, ...body });

  const unix = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);
  const iso = (t: number) => new Date(t * 1000).toISOString();
  /** Stripe's proration of `amount` for the rest of the period after `at`, to the second. */
  const prorate = (amount: number, at: number, p: { start: number; end: number }) => Math.round((amount * (p.end - at)) / (p.end - p.start));
  const periodOf = (sub: Stripe.Subscription) => ({ start: sub.items.data[0]!.current_period_start, end: sub.items.data[0]!.current_period_end });
  const prorationsOf = (invoice: Stripe.Invoice) => invoice.lines.data.filter((l) => l.parent?.subscription_item_details?.proration);

  /**
   * Everything a preview must leave as it was: the subscription and its invoices in Stripe, Stripe's
   * events (a mutation would add one), and every row of our billing tables.
   */
  async function everything(sub: string) {
    await s.settle();
    const tables = ['subscriptions', 'subscription_items', 'invoices', 'identities', 'prices', 'products', 'product_features', 'features', 'trials', 'webhook_events'];
    const rows: Record<string, unknown> = {};
    for (const table of tables) rows[table] = await sqlOf(s)(`select * from ${table} order by 1`);
    return {
      subscription: await s.stripe.subscriptions.retrieve(sub),
      invoices: (await s.stripe.invoices.list({ subscription: sub, limit: 100 })).data,
      lastEvent: (await s.stripe.events.list({ limit: 1 })).data[0]?.id,
      rows,
    };
  }

  it('quantity 1 → 3 mid-period (create_prorations): a credit and a charge to the second, carried to the next invoice; nothing changes; the change then bills it', async () => {
    const sub = await subscribe('ACME');
    const before = await everything(sub);
    const p = periodOf(before.subscription);
    const res = await preview('ACME', sub, { quantity: 3, proration_behavior: 'create_prorations' });
    expect(res.status).toBe(200);
    expect(await everything(sub)).toEqual(before);

    const at = unix(res.body.proration_date);
    expect(at).toBeGreaterThan(p.start);
    expect(at).toBeLessThanOrEqual(s.emulator.now());
    const credit = -prorate(1000, at, p);
    const charge = prorate(3000, at, p);
    expect(credit).toBeLessThan(0);
    expect(res.body).toEqual({
      subscription_id: sub,
      currency: 'jpy',
      price_id: tier.monthly.id,
      quantity: 3,
      proration_behavior: 'create_prorations',
      proration_date: iso(at),
      amount_due_now: 0,
      next_invoice: { billed: 'period_end', amount_due: 3000 + charge + credit, subtotal: 3000 + charge + credit, total: 3000 + charge + credit, period_start: iso(p.end), period_end: expect.any(String) },
      proration_lines: [
        { description: expect.stringContaining('Unused time on 1 ×'), amount: credit, price_id: tier.monthly.id, quantity: 1, period_start: iso(at), period_end: iso(p.end) },
        { description: expect.stringContaining('Remaining time on 3 ×'), amount: charge, price_id: tier.monthly.id, quantity: 3, period_start: iso(at), period_end: iso(p.end) },
      ],
    });
    // The account-scoped route answers the same (a second later at most, so to the yen or one off by rounding).
    const scoped = await previewScoped('ACME', sub, { quantity: 3, proration_behavior: 'create_prorations' });
    expect(scoped.status).toBe(200);
    expect(scoped.body.proration_lines.map((l: { amount: number }) => l.amount)).toEqual([-prorate(1000, unix(scoped.body.proration_date), p), prorate(3000, unix(scoped.body.proration_date), p)]);

    // The change, then the renewal: the invoice bills the preview's lines (computed as of the change's own second).
    const changed = await authed(s.http().post(`/api/subscriptions/${sub}/change`), await ownerToken('ACME')).send({ quantity: 3, proration_behavior: 'create_prorations' });
    expect(changed.status).toBe(200);
    await s.advance(p.end - s.emulator.now() + 1);
    const renewed = await s.stripe.subscriptions.retrieve(sub);
    const renewal = await s.stripe.invoices.retrieve(renewed.latest_invoice as string);
    const [billedCredit, billedCharge] = prorationsOf(renewal);
    const changedAt = billedCredit!.period.start;
    expect([billedCredit!.amount, billedCharge!.amount]).toEqual([-prorate(1000, changedAt, p), prorate(3000, changedAt, p)]);
    expect(renewal.amount_due).toBe(3000 + billedCharge!.amount + billedCredit!.amount);
    expect(billedCredit!.description).toMatch(/^Unused time on 1 × /);
    expectSameBill(at, changedAt, [credit, charge], [billedCredit!.amount, billedCharge!.amount]);
    expect(iso(renewal.period_start)).toBe(res.body.next_invoice.period_start);
  });

  /**
   * The preview and the change are two requests, a second or two apart on the emulator's clock,
   * which runs with real time: at the same second they bill the same to the yen; a second later
   * a proration may differ by the yen a second is worth at most (1000 a month is 0.0004 yen a second).
   */
  function expectSameBill(previewedAt: number, changedAt: number, previewed: number[], billed: number[]) {
    expect(changedAt - previewedAt).toBeGreaterThanOrEqual(0);
    expect(changedAt - previewedAt).toBeLessThan(60);
    if (changedAt === previewedAt) expect(billed).toEqual(previewed);
    else billed.forEach((amount, i) => expect(Math.abs(amount - previewed[i]!)).toBeLessThanOrEqual(1));
  }

  it('monthly → yearly mid-period: the unused month credited and the year billed at once; nothing changes; the change then bills it', async () => {
    const sub = await subscribe('BETA');
    const before = await everything(sub);
    const p = periodOf(before.subscription);
    const res = await previewScoped('BETA', sub, { interval: 'year' });
    expect(res.status).toBe(200);
    expect(await everything(sub)).toEqual(before);

    const at = unix(res.body.proration_date);
    const credit = -prorate(1000, at, p);
    expect(res.body).toMatchObject({ subscription_id: sub, price_id: tier.yearly.id, quantity: 1, proration_behavior: 'create_prorations', amount_due_now: 10000 + credit });
    expect(res.body.next_invoice).toMatchObject({ billed: 'now', amount_due: 10000 + credit, total: 10000 + credit });
    expect(unix(res.body.next_invoice.period_end) - unix(res.body.next_invoice.period_start)).toBeGreaterThanOrEqual(365 * DAY);
    expect(res.body.proration_lines).toEqual([{ description: expect.stringContaining('Unused time on 1 ×'), amount: credit, price_id: tier.monthly.id, quantity: 1, period_start: iso(at), period_end: iso(p.end) }]);

    const changed = await authed(s.http().post(`/api/accounts/BETA/subscriptions/change`), await ownerToken('BETA')).send({ subscription_id: sub, interval: 'year' });
    expect(changed.status).toBe(200);
    const invoice = await s.stripe.invoices.retrieve(changed.body.latest_invoice_id);
    const [billedCredit] = prorationsOf(invoice);
    expect(invoice.lines.data.filter((l) => !l.parent?.subscription_item_details?.proration).map((l) => l.amount)).toEqual([10000]);
    expectSameBill(at, billedCredit!.period.start, [credit], [billedCredit!.amount]);
    expect(invoice.amount_due).toBe(10000 + billedCredit!.amount);
  });

  it('always_invoice: the prorations are due now; none: no prorations, the renewal at the new price', async () => {
    const sub = await subscribe('GAMMA');
    const p = periodOf(await s.stripe.subscriptions.retrieve(sub));
    const always = await preview('GAMMA', sub, { quantity: 3, proration_behavior: 'always_invoice' });
    expect(always.status).toBe(200);
    const at = unix(always.body.proration_date);
    const due = prorate(3000, at, p) - prorate(1000, at, p);
    expect(always.body).toMatchObject({ proration_behavior: 'always_invoice', amount_due_now: due, next_invoice: { billed: 'now', amount_due: due } });
    expect(always.body.proration_lines).toHaveLength(2);

    const none = await preview('GAMMA', sub, { quantity: 3, proration_behavior: 'none' });
    expect(none.status).toBe(200);
    expect(none.body).toMatchObject({ proration_behavior: 'none', proration_date: null, amount_due_now: 0, proration_lines: [], next_invoice: { billed: 'period_end', amount_due: 3000, period_start: iso(p.end) } });

    // The default proration behaviour (DEFAULT_PRORATION_BEHAVIOR, create_prorations) when the body names none.
    expect((await preview('GAMMA', sub, { quantity: 2 })).body).toMatchObject({ proration_behavior: 'create_prorations', amount_due_now: 0, quantity: 2 });
  });

  it('a subscription that ends at the period end has no next invoice to show', async () => {
    const sub = await subscribe('DELTA');
    const token = await ownerToken('DELTA');
    expect((await authed(s.http().post(`/api/subscriptions/${sub}/cancel`), token).send({ timing: 'period_end' })).status).toBe(200);
    const res = await preview('DELTA', sub, { quantity: 2 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ amount_due_now: 0, next_invoice: null, proration_lines: [] });
  });

  it('any role of the account may preview (it changes nothing); the change itself stays owner-only', async () => {
    const sub = await subscribe('EPSILON');
    const member = await memberToken('EPSILON');
    expect((await preview('EPSILON', sub, { quantity: 2 }, member)).status).toBe(200);
    expect((await previewScoped('EPSILON', sub, { quantity: 2 }, member)).status).toBe(200);
    expectError(await authed(s.http().post(`/api/subscriptions/${sub}/change`), member).send({ quantity: 2 }), 403, 'owner_role_required');
  });

  it("the refusals of change, with the same codes, and nothing changed by them", async () => {
    const sub = await subscribe('ZETA');
    const single = await subscribe('ZETA', monthlyOnly.id);
    const ended = await subscribe('ETA');
    expect((await authed(s.http().post(`/api/subscriptions/${ended}/cancel`), await ownerToken('ETA')).send({ timing: 'immediately' })).status).toBe(200);
    const before = await everything(sub);

    for (const call of [preview, previewScoped]) {
      expectError(await call('ZETA', sub, { price_id: tier.yearly.id, interval: 'year' }), 400, 'conflicting_change');
      expectError(await call('ZETA', sub, {}), 400, 'nothing_to_change');
      expectError(await call('ZETA', sub, { proration_behavior: 'none' }), 400, 'nothing_to_change');
      expectError(await call('ZETA', sub, { price_id: elsewhere.id }), 400, 'price_not_in_catalog');
      expectError(await call('ZETA', sub, { price_id: archived.id }), 400, 'price_inactive');
      expectError(await call('ZETA', single, { interval: 'year' }), 400, 'no_price_for_interval');
      expectError(await call('ZETA', sub, { quantity: 0 }), 400, 'validation_failed');
      expectError(await call('ZETA', sub, { quantity: 2, proration_behavior: 'sometimes' }), 400, 'validation_failed');
      expectError(await call('ZETA', sub, { quantity: 2, surprise: true }), 400, 'validation_failed');
      // Another account's subscription is not found, as for change; an ended one is a conflict.
      expectError(await call('EVIL', sub, { quantity: 2 }), 404, 'subscription_not_found');
      expectError(await call('ZETA', 'sub_DoesNotExist1', { quantity: 2 }), 404, 'subscription_not_found');
      expectError(await call('ETA', ended, { quantity: 2 }), 409, 'subscription_ended');
    }
    expectError(await s.http().post(`/api/subscriptions/${sub}/change/preview`).send({ quantity: 2 }), 401, 'missing_token');
    expectError(await previewScoped('ZETA', sub, { quantity: 2 }, await ownerToken('EVIL')), 403, 'account_mismatch');
    expectError(await previewScoped('ZETA', 'not-a-subscription', { quantity: 2 }), 400, 'validation_failed');
    expect(await everything(sub)).toEqual(before);
  });
});
