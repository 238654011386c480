// The billing portal page: change price, cancel at period end and undo, update the card;
// and the hosted invoice page.
import type Stripe from 'stripe';
import { catalog, control, harness, type Harness } from './helpers.js';

describe('billing portal and hosted invoice pages', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.stop());

  it('changes the price, cancels at period end, renews, and updates the payment method', async () => {
    const { stripe, emu } = h;
    const basic = (await catalog(stripe, { amount: 1000 })).price;
    const pro = (await catalog(stripe, { amount: 2000 })).price;
    const customer = await stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
    const portal = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://app.example.com/billing' });
    expect(portal.url).toBe(`${emu.url}/portal/${portal.id}`);
    const html = await (await fetch(portal.url, { headers: { Accept: 'text/html' } })).text();
    expect(html).toContain(sub.id);

    const changed = await control(emu, 'POST', `/portal/${portal.id}/update`, { subscription: sub.id, price: pro.id, quantity: 2 });
    expect(changed.status).toBe(200);
    const afterChange = await stripe.subscriptions.retrieve(sub.id);
    expect(afterChange.items.data[0]).toMatchObject({ quantity: 2, price: { id: pro.id } });

    await control(emu, 'POST', `/portal/${portal.id}/cancel`, { subscription: sub.id });
    expect((await stripe.subscriptions.retrieve(sub.id)).cancel_at_period_end).toBe(true);
    await control(emu, 'POST', `/portal/${portal.id}/resume`, { subscription: sub.id });
    expect((await stripe.subscriptions.retrieve(sub.id)).cancel_at_period_end).toBe(false);

    const pm = await control(emu, 'POST', `/portal/${portal.id}/payment_method`, { card: '5555555555554444' });
    expect(pm.status).toBe(200);
    const updated = await stripe.customers.retrieve(customer.id);
    expect((updated as Stripe.Customer).invoice_settings.default_payment_method).toMatch(/^pm_/);

    // Someone else's subscription cannot be touched from this portal session.
    const other = await stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const otherSub = await stripe.subscriptions.create({ customer: other.id, items: [{ price: basic.id }] });
    expect((await control(emu, 'POST', `/portal/${portal.id}/cancel`, { subscription: otherSub.id })).status).toBe(404);

    const browser = await fetch(`${emu.url}/portal/${portal.id}/cancel`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' },
      body: `subscription=${sub.id}&immediately=true`,
    });
    expect(browser.status).toBe(303);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
  });

  it('pays an open invoice on its hosted page', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe);
    const customer = await stripe.customers.create({});
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], payment_behavior: 'default_incomplete' });
    const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string);
    const page = await fetch(invoice.hosted_invoice_url!, { headers: { Accept: 'text/html' } });
    expect(await page.text()).toContain('Pay');
    const declined = await control(emu, 'POST', `/invoice/${invoice.id}/pay`, { card: '4000000000000002' });
    expect(declined.status).toBe(402);
    const paid = await control(emu, 'POST', `/invoice/${invoice.id}/pay`, { card: '4242424242424242' });
    expect(paid.body.status).toBe('paid');
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  });
});
