// Invoice items and one-off invoices through the SDK: pending items on the next subscription
// invoice or a new draft, drafts edited and finalized, charged automatically an hour later or
// sent with a due date, and the errors of a finalized invoice.
import { catalog, DAY, harness, type Harness, HOUR, stripeError } from './helpers.js';

describe('invoice items and one-off invoices', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.stop());

  const customer = (pm = 'pm_card_visa') => h.stripe.customers.create({ email: 'ii@example.com', invoice_settings: { default_payment_method: pm } });

  it('creates, updates, lists and deletes pending items', async () => {
    const { stripe, emu, receiver } = h;
    const cus = await customer();
    const item = await stripe.invoiceItems.create({ customer: cus.id, amount: 500, currency: 'jpy', description: 'Setup fee' });
    expect(item).toMatchObject({ object: 'invoiceitem', amount: 500, currency: 'jpy', invoice: null, quantity: 1, discountable: true, description: 'Setup fee' });
    const { price } = await catalog(stripe, { amount: 300 });
    const oneTime = await stripe.prices.create({ product: price.product as string, currency: 'jpy', unit_amount: 250 });
    const priced = await stripe.invoiceItems.create({ customer: cus.id, pricing: { price: oneTime.id }, quantity: 3 });
    expect(priced).toMatchObject({ amount: 750, quantity: 3, pricing: { type: 'price_details', price_details: { price: oneTime.id } } });
    expect((await stripe.invoiceItems.update(priced.id, { quantity: 2, metadata: { k: 'v' } })).amount).toBe(500);
    expect((await stripe.invoiceItems.list({ customer: cus.id, pending: true })).data.map((i) => i.id)).toEqual([priced.id, item.id]);
    expect(await stripe.invoiceItems.del(priced.id)).toEqual(expect.objectContaining({ id: priced.id, deleted: true }));
    expect((await stripeError(stripe.invoiceItems.create({ customer: cus.id, amount: 5 }))).param).toBe('currency');
    await emu.flushWebhooks();
    expect(receiver.types()).toEqual(expect.arrayContaining(['invoiceitem.created', 'invoiceitem.deleted']));
  });

  it("puts a customer's pending items on its subscription's next invoice", async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe, { amount: 1000 });
    const cus = await customer();
    const setup = await stripe.invoiceItems.create({ customer: cus.id, amount: 2000, currency: 'jpy', description: 'Onboarding' });
    const sub = await stripe.subscriptions.create({ customer: cus.id, items: [{ price: price.id }] });
    const first = await stripe.invoices.retrieve(sub.latest_invoice as string);
    expect(first.total).toBe(3000);
    expect((await stripe.invoiceItems.retrieve(setup.id)).invoice).toBe(first.id);
    const extra = await stripe.invoiceItems.create({ customer: cus.id, subscription: sub.id, amount: 400, currency: 'jpy', description: 'Extra seats' });
    expect((await stripe.invoices.createPreview({ subscription: sub.id })).total).toBe(1400);
    emu.advance(32 * DAY);
    const renewal = await stripe.invoices.retrieve((await stripe.subscriptions.retrieve(sub.id)).latest_invoice as string);
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', total: 1400, status: 'paid' });
    const line = renewal.lines.data.find((l) => l.parent?.type === 'invoice_item_details');
    expect(line).toMatchObject({ amount: 400, description: 'Extra seats', parent: { invoice_item_details: { invoice_item: extra.id, subscription: sub.id } } });
  });

  it('makes a one-off draft from pending items, edits it, finalizes it and charges it an hour later', async () => {
    const { stripe, emu, receiver } = h;
    const cus = await customer();
    const rate = await stripe.taxRates.create({ display_name: 'JCT', percentage: 10, inclusive: false });
    await stripe.invoiceItems.create({ customer: cus.id, amount: 1000, currency: 'jpy' });
    const excluded = await stripe.invoices.create({ customer: cus.id });
    expect(excluded).toMatchObject({ status: 'draft', billing_reason: 'manual', parent: null, total: 0, auto_advance: false });
    await stripe.invoices.del(excluded.id);
    const draft = await stripe.invoices.create({ customer: cus.id, pending_invoice_items_behavior: 'include', default_tax_rates: [rate.id], auto_advance: true, description: 'Consulting' });
    expect(draft).toMatchObject({ status: 'draft', subtotal: 1000, total: 1100, amount_due: 1100 });
    const added = await stripe.invoiceItems.create({ customer: cus.id, invoice: draft.id, amount: 500, currency: 'jpy' });
    expect(added.invoice).toBe(draft.id);
    const withLines = await stripe.invoices.addLines(draft.id, { lines: [{ amount: 200, description: 'Travel' }] });
    expect(withLines.total).toBe(1870);
    const coupon = await stripe.coupons.create({ amount_off: 700, currency: 'jpy' });
    const updated = await stripe.invoices.update(draft.id, { discounts: [{ coupon: coupon.id }], metadata: { order: '42' } });
    expect(updated).toMatchObject({ subtotal: 1700, total: 1100, metadata: { order: '42' } });
    const open = await stripe.invoices.finalizeInvoice(draft.id);
    expect(open).toMatchObject({ status: 'open', amount_due: 1100 });
    expect(open.number).toMatch(/-\d{4}$/);
    expect((await stripeError(stripe.invoices.update(draft.id, { collection_method: 'send_invoice', days_until_due: 3 }))).code).toBe('invoice_not_editable');
    expect((await stripeError(stripe.invoices.del(draft.id))).code).toBe('invoice_not_editable');
    emu.advance(HOUR + 1);
    expect((await stripe.invoices.retrieve(draft.id)).status).toBe('paid');
    await emu.flushWebhooks();
    expect(receiver.types()).toEqual(expect.arrayContaining(['invoice.created', 'invoice.updated', 'invoice.deleted', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded']));
  });

  it('sends a send_invoice invoice with its due date, then it is overdue; pay, void and mark uncollectible', async () => {
    const { stripe, emu, receiver } = h;
    const cus = await customer();
    await stripe.invoiceItems.create({ customer: cus.id, amount: 3000, currency: 'jpy' });
    const draft = await stripe.invoices.create({ customer: cus.id, collection_method: 'send_invoice', days_until_due: 7, pending_invoice_items_behavior: 'include' });
    expect((await stripeError(stripe.invoices.create({ customer: cus.id, days_until_due: 7 }))).param).toBe('days_until_due');
    receiver.clear();
    // The emulator's clock ticks with real time: the due date is 7 days after the moment of sending.
    const before = emu.now();
    const sent = await stripe.invoices.sendInvoice(draft.id);
    expect(sent).toMatchObject({ status: 'open', collection_method: 'send_invoice' });
    expect(sent.due_date! - 7 * DAY).toBeGreaterThanOrEqual(before);
    expect(sent.due_date! - 7 * DAY).toBeLessThanOrEqual(emu.now());
    expect(sent.hosted_invoice_url).toContain(`/invoice/${draft.id}`);
    emu.advance(HOUR * 2);
    expect((await stripe.invoices.retrieve(draft.id)).status).toBe('open');
    emu.advance(7 * DAY);
    await emu.flushWebhooks();
    expect(receiver.types()).toEqual(['payment_intent.created', 'invoice.finalized', 'invoice.sent', 'invoice.overdue']);
    expect((await stripe.invoices.pay(draft.id)).status).toBe('paid');
    // A draft is finalized by paying it.
    const direct = await stripe.invoices.create({ customer: cus.id });
    await stripe.invoices.addLines(direct.id, { lines: [{ amount: 250 }] });
    expect(await stripe.invoices.pay(direct.id)).toMatchObject({ status: 'paid', amount_paid: 250 });

    const second = await stripe.invoices.create({ customer: cus.id, collection_method: 'send_invoice', due_date: emu.now() + DAY });
    await stripe.invoices.addLines(second.id, { lines: [{ amount: 100 }] });
    await stripe.invoices.finalizeInvoice(second.id);
    expect((await stripe.invoices.voidInvoice(second.id)).status).toBe('void');
    const third = await stripe.invoices.create({ customer: cus.id, collection_method: 'send_invoice', days_until_due: 1 });
    await stripe.invoices.addLines(third.id, { lines: [{ amount: 100 }] });
    await stripe.invoices.finalizeInvoice(third.id);
    expect((await stripe.invoices.markUncollectible(third.id)).status).toBe('uncollectible');
  });
});
