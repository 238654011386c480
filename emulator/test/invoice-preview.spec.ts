// `POST /v1/invoices/create_preview` for a change to a subscription: the prorations Stripe computes
// (to the second, as of `proration_date`), the invoice it shows (the next one, or the one the change
// creates at once), that previewing changes nothing, that the update with the same `proration_date`
// then bills exactly what the preview showed, and Stripe's errors for wrong parameters.
import type Stripe from 'stripe';
import { catalog, DAY, harness, type Harness } from './helpers.js';

describe('invoice preview of a subscription change', () => {
  let h: Harness;
  let customer: Stripe.Customer;
  let basic: Stripe.Price; // 1000 a month
  let pro: Stripe.Price; // 3000 a month
  let yearly: Stripe.Price; // 10000 a year
  beforeAll(async () => {
    h = await harness();
    basic = (await catalog(h.stripe, { amount: 1000 })).price;
    pro = (await catalog(h.stripe, { amount: 3000 })).price;
    yearly = (await catalog(h.stripe, { amount: 10000, interval: 'year' })).price;
    customer = await h.stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
  });
  afterAll(() => h.stop());

  /** A monthly subscription to `basic`, 10 days into its first period. */
  async function midPeriod(): Promise<Stripe.Subscription> {
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
    h.emu.advance(10 * DAY);
    return sub;
  }

  /** Stripe's proration of `amount` for the rest of the period after `at`, to the second. */
  const prorate = (amount: number, at: number, p: { start: number; end: number }) => Math.round((amount * (p.end - at)) / (p.end - p.start));
  const periodOf = (sub: Stripe.Subscription) => ({ start: sub.items.data[0].current_period_start, end: sub.items.data[0].current_period_end });
  const prorations = (invoice: Stripe.Invoice) => invoice.lines.data.filter((l) => l.parent?.subscription_item_details?.proration);
  /** What two invoices bill, without their ids: the totals and each line. */
  const billed = (invoice: Stripe.Invoice) => ({
    amount_due: invoice.amount_due,
    subtotal: invoice.subtotal,
    total: invoice.total,
    currency: invoice.currency,
    lines: invoice.lines.data.map((l) => ({
      amount: l.amount,
      description: l.description,
      quantity: l.quantity,
      price: l.pricing?.price_details?.price,
      proration: l.parent?.subscription_item_details?.proration,
    })),
  });

  /** Everything a preview must leave as it was: the subscription, its invoices, the events. */
  async function state(sub: Stripe.Subscription) {
    const [subscription, invoices, events] = await Promise.all([
      h.stripe.subscriptions.retrieve(sub.id),
      h.stripe.invoices.list({ subscription: sub.id, limit: 100 }),
      h.stripe.events.list({ limit: 1 }),
    ]);
    return { subscription, invoices: invoices.data.map((i) => [i.id, i.status, i.amount_due]), lastEvent: events.data[0]?.id };
  }

  it('a quantity change with create_prorations: credit and charge to the second, carried to the next invoice, which the renewal then bills', async () => {
    const { stripe, emu } = h;
    const sub = await midPeriod();
    const p = periodOf(sub);
    const at = emu.now() - 3600; // a proration date of the past hour, within the period
    const before = await state(sub);
    const preview = await stripe.invoices.createPreview({
      customer: customer.id,
      subscription: sub.id,
      subscription_details: { items: [{ id: sub.items.data[0].id, quantity: 3 }], proration_behavior: 'create_prorations', proration_date: at },
    });
    expect(await state(sub)).toEqual(before);

    expect(preview.id).toMatch(/^upcoming_in_/);
    expect(preview).toMatchObject({ object: 'invoice', billing_reason: 'upcoming', status: 'draft', customer: customer.id, period_start: p.end, next_payment_attempt: p.end });
    const [credit, charge, ...rest] = preview.lines.data;
    expect(credit).toMatchObject({ amount: -prorate(1000, at, p), quantity: 1, period: { start: at, end: p.end }, parent: { subscription_item_details: { proration: true } } });
    expect(charge).toMatchObject({ amount: prorate(3000, at, p), quantity: 3, period: { start: at, end: p.end }, parent: { subscription_item_details: { proration: true } } });
    expect(credit.amount).toBeLessThan(0);
    // Then the next period at the new quantity.
    expect(rest).toHaveLength(1);
    expect(rest[0]).toMatchObject({ amount: 3000, quantity: 3, period: { start: p.end }, parent: { subscription_item_details: { proration: false } } });
    expect(preview.subtotal).toBe(3000 + charge.amount + credit.amount);
    expect(preview.total).toBe(preview.subtotal);
    expect(preview.amount_due).toBe(preview.total);

    // The update with the same proration date bills exactly that at the period end.
    const updated = await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0].id, quantity: 3 }], proration_behavior: 'create_prorations', proration_date: at });
    expect(updated.latest_invoice).toBe(sub.latest_invoice);
    emu.advance(p.end - emu.now() + 1);
    const renewal = await stripe.invoices.retrieve((await stripe.subscriptions.retrieve(sub.id)).latest_invoice as string);
    expect(billed(renewal)).toEqual(billed(preview));
    expect(renewal.period_start).toBe(preview.period_start);
    expect(renewal.period_end).toBe(preview.period_end);
  });

  it('a price change with always_invoice: the preview is the invoice the update creates at once', async () => {
    const { stripe, emu } = h;
    const sub = await midPeriod();
    const p = periodOf(sub);
    const at = emu.now();
    const params = { items: [{ id: sub.items.data[0].id, price: pro.id }], proration_behavior: 'always_invoice' as const, proration_date: at };
    const preview = await stripe.invoices.createPreview({ subscription: sub.id, subscription_details: params });
    expect(preview.billing_reason).toBe('subscription_update');
    expect(prorations(preview).map((l) => l.amount)).toEqual([-prorate(1000, at, p), prorate(3000, at, p)]);
    expect(preview.lines.data).toHaveLength(2);
    expect(preview.amount_due).toBe(prorate(3000, at, p) - prorate(1000, at, p));

    const updated = await stripe.subscriptions.update(sub.id, params);
    const invoice = await stripe.invoices.retrieve(updated.latest_invoice as string);
    expect(invoice.id).not.toBe(sub.latest_invoice);
    expect(billed(invoice)).toEqual(billed(preview));
    expect(invoice.status).toBe('paid');
  });

  it('an interval change: a credit for the unused month and the new year, billed at once', async () => {
    const { stripe, emu } = h;
    const sub = await midPeriod();
    const p = periodOf(sub);
    const at = emu.now();
    const params = { items: [{ id: sub.items.data[0].id, price: yearly.id }], proration_date: at };
    const before = await state(sub);
    const preview = await stripe.invoices.createPreview({ subscription: sub.id, subscription_details: params });
    expect(await state(sub)).toEqual(before);
    expect(preview.billing_reason).toBe('subscription_update');
    const [credit, year] = preview.lines.data;
    expect(credit).toMatchObject({ amount: -prorate(1000, at, p), parent: { subscription_item_details: { proration: true } } });
    expect(year).toMatchObject({ amount: 10000, parent: { subscription_item_details: { proration: false } } });
    expect(year.period.end - year.period.start).toBeGreaterThanOrEqual(365 * DAY);
    expect(preview.amount_due).toBe(10000 - prorate(1000, at, p));

    const updated = await stripe.subscriptions.update(sub.id, params);
    const invoice = await stripe.invoices.retrieve(updated.latest_invoice as string);
    expect(billed(invoice)).toEqual(billed(preview));
  });

  it('proration_behavior none: no proration lines; the next invoice at the new price', async () => {
    const { stripe } = h;
    const sub = await midPeriod();
    const preview = await stripe.invoices.createPreview({
      subscription: sub.id,
      subscription_details: { items: [{ id: sub.items.data[0].id, price: pro.id, quantity: 2 }], proration_behavior: 'none' },
    });
    expect(prorations(preview)).toEqual([]);
    expect(preview.billing_reason).toBe('upcoming');
    expect(preview.amount_due).toBe(6000);
  });

  it('prorations of an earlier change wait on the next invoice, and the preview shows them', async () => {
    const { stripe, emu } = h;
    const sub = await midPeriod();
    const p = periodOf(sub);
    const first = emu.now();
    await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0].id, quantity: 2 }], proration_date: first });
    const second = emu.now();
    const preview = await stripe.invoices.createPreview({
      subscription: sub.id,
      subscription_details: { items: [{ id: sub.items.data[0].id, quantity: 3 }], proration_date: second },
    });
    expect(prorations(preview).map((l) => l.amount)).toEqual([-prorate(1000, first, p), prorate(2000, first, p), -prorate(2000, second, p), prorate(3000, second, p)]);
    // Without items, the preview is the next invoice as it stands.
    const next = await stripe.invoices.createPreview({ subscription: sub.id });
    expect(prorations(next)).toHaveLength(2);
    expect(next.amount_due).toBe(2000 + prorate(2000, first, p) - prorate(1000, first, p));
  });

  it('an added item of a preview does not exist afterwards', async () => {
    const { stripe } = h;
    const sub = await midPeriod();
    const preview = await stripe.invoices.createPreview({ subscription: sub.id, subscription_details: { items: [{ price: pro.id }] } });
    const added = preview.lines.data.find((l) => l.pricing?.price_details?.price === pro.id)!;
    const itemId = added.parent!.subscription_item_details!.subscription_item!;
    expect(itemId).not.toBe(sub.items.data[0].id);
    await expect(stripe.subscriptionItems.retrieve(itemId)).rejects.toMatchObject({ statusCode: 404 });
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data).toHaveLength(1);
  });

  describe("Stripe's errors", () => {
    const rejects = async (call: Promise<unknown>, status: number, match: Record<string, unknown>) => {
      await expect(call).rejects.toMatchObject({ statusCode: status, raw: expect.objectContaining(match) });
    };

    it('unknown parameters: 400 parameter_unknown naming the parameter, at any depth', async () => {
      const sub = await midPeriod();
      const item = sub.items.data[0].id;
      await rejects(h.stripe.invoices.createPreview({ subscription: sub.id, surprise: 'x' } as Stripe.InvoiceCreatePreviewParams), 400, { code: 'parameter_unknown', param: 'surprise' });
      await rejects(
        h.stripe.invoices.createPreview({ subscription: sub.id, subscription_details: { proration_behaviour: 'none' } } as unknown as Stripe.InvoiceCreatePreviewParams),
        400,
        { code: 'parameter_unknown', param: 'subscription_details[proration_behaviour]' },
      );
      await rejects(
        h.stripe.invoices.createPreview({ subscription: sub.id, subscription_details: { items: [{ id: item, qty: 2 }] } } as unknown as Stripe.InvoiceCreatePreviewParams),
        400,
        { code: 'parameter_unknown', param: 'subscription_details[items][0][qty]' },
      );
      // Stripe's own parameters that the emulator does not model are refused by name, not ignored.
      await rejects(h.stripe.invoices.createPreview({ subscription: sub.id, automatic_tax: { enabled: true } }), 400, {
        type: 'invalid_request_error',
        code: 'parameter_not_modeled',
        param: 'automatic_tax',
      });
    });

    it('proration_date outside the period or without prorations, a missing or unknown subscription, another customer', async () => {
      const sub = await midPeriod();
      const item = sub.items.data[0].id;
      const p = periodOf(sub);
      const details = (more: Record<string, unknown>) => ({ subscription: sub.id, subscription_details: { items: [{ id: item, quantity: 2 }], ...more } });
      await rejects(h.stripe.invoices.createPreview(details({ proration_date: p.start - 1 })), 400, { param: 'subscription_details[proration_date]' });
      await rejects(h.stripe.invoices.createPreview(details({ proration_date: p.end + 1 })), 400, { param: 'subscription_details[proration_date]' });
      await rejects(h.stripe.invoices.createPreview(details({ proration_date: h.emu.now(), proration_behavior: 'none' })), 400, { param: 'subscription_details[proration_date]' });
      await rejects(h.stripe.subscriptions.update(sub.id, { items: [{ id: item, quantity: 2 }], proration_date: p.end + 1 }), 400, { param: 'proration_date' });
      await rejects(h.stripe.invoices.createPreview({ customer: customer.id }), 400, { code: 'parameter_missing', param: 'subscription' });
      await rejects(h.stripe.invoices.createPreview({ subscription: 'sub_missing' }), 404, { code: 'resource_missing', param: 'subscription' });
      const stranger = await h.stripe.customers.create({});
      await rejects(h.stripe.invoices.createPreview({ customer: stranger.id, subscription: sub.id }), 400, { param: 'customer' });
      await rejects(h.stripe.invoices.createPreview(details({ items: [{ id: 'si_missing', quantity: 2 }] })), 404, { code: 'resource_missing' });
    });

    it('a subscription that will not invoice again: 404 invoice_upcoming_none', async () => {
      const sub = await midPeriod();
      await rejects(h.stripe.invoices.createPreview({ subscription: sub.id, subscription_details: { cancel_at_period_end: true } }), 404, { code: 'invoice_upcoming_none' });
      await h.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
      await rejects(h.stripe.invoices.createPreview({ subscription: sub.id }), 404, { code: 'invoice_upcoming_none' });
      // Undoing the cancellation in the preview brings the next invoice back.
      expect((await h.stripe.invoices.createPreview({ subscription: sub.id, subscription_details: { cancel_at_period_end: false } })).amount_due).toBe(1000);
      await h.stripe.subscriptions.cancel(sub.id);
      await rejects(h.stripe.invoices.createPreview({ subscription: sub.id }), 404, { code: 'invoice_upcoming_none' });
    });
  });
});
