// The checkout flow end to end through the SDK and the emulator's hosted checkout page.
import type Stripe from 'stripe';
import { catalog, control, harness, type Harness } from './helpers.js';

describe('checkout flow', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.stop());

  it('pays a session on the hosted page: subscription active, invoice paid, entitlements, signed webhooks', async () => {
    const { stripe, emu, receiver } = h;
    const { price, feature } = await catalog(stripe, { feature: 'premium_reports' });
    const customer = await stripe.customers.create({ email: 'a@example.com', metadata: { account_id: 'acc_1' }, preferred_locales: ['ja'] });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: price.id, quantity: 2 }],
      client_reference_id: 'acc_1',
      metadata: { account_id: 'acc_1' },
      subscription_data: { metadata: { account_id: 'acc_1' } },
      success_url: 'https://app.example.com/ok?session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.example.com/cancel',
    });
    expect(session.status).toBe('open');
    expect(session.url).toBe(`${emu.url}/checkout/${session.id}`);

    const page = await fetch(session.url!, { headers: { Accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('4242424242424242');

    const paid = await control(emu, 'POST', `/checkout/${session.id}/pay`, { card: '4242424242424242' });
    expect(paid.status).toBe(200);
    expect(paid.body.status).toBe('complete');

    const done = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription', 'line_items'] });
    expect(done.status).toBe('complete');
    expect(done.payment_status).toBe('paid');
    expect(done.line_items?.data[0].quantity).toBe(2);
    const sub = done.subscription as Stripe.Subscription;
    expect(sub.status).toBe('active');
    expect(sub.metadata).toEqual({ account_id: 'acc_1' });
    expect(sub.items.data[0].quantity).toBe(2);
    expect(sub.items.data[0].current_period_end).toBeGreaterThan(sub.items.data[0].current_period_start);

    const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string);
    expect(invoice.status).toBe('paid');
    expect(invoice.amount_paid).toBe(2000);
    expect(invoice.parent?.subscription_details?.subscription).toBe(sub.id);
    expect(invoice.hosted_invoice_url).toContain(`/invoice/${invoice.id}`);

    const entitlements = await stripe.entitlements.activeEntitlements.list({ customer: customer.id });
    expect(entitlements.data.map((e) => e.lookup_key)).toEqual(['premium_reports']);
    expect(entitlements.data[0].feature).toBe(feature!.id);

    await emu.flushWebhooks();
    const types = receiver.types();
    for (const t of ['checkout.session.completed', 'customer.subscription.created', 'invoice.paid', 'entitlements.active_entitlement_summary.updated']) {
      expect(types).toContain(t);
    }
    const completed = receiver.events.find((e) => e.type === 'checkout.session.completed')!;
    expect((completed.data.object as Stripe.Checkout.Session).subscription).toBe(sub.id);
    const summary = receiver.events.find((e) => e.type === 'entitlements.active_entitlement_summary.updated')!;
    expect((summary.data.object as Stripe.Entitlements.ActiveEntitlementSummary).entitlements.data[0].lookup_key).toBe('premium_reports');
    // Created as incomplete, then updated to active with the old status in previous_attributes.
    const updated = receiver.events.find((e) => e.type === 'customer.subscription.updated')!;
    expect(updated.data.previous_attributes).toMatchObject({ status: 'incomplete' });
  });

  it('creates the customer from customer_email and keeps a declined card on the page', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: 'new@example.com',
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'https://app.example.com/ok',
    });
    const declined = await control(emu, 'POST', `/checkout/${session.id}/pay`, { card: '4000000000000002' });
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'generic_decline' });
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');

    const ok = await control(emu, 'POST', `/checkout/${session.id}/pay`, { card: '4242424242424242' });
    expect(ok.status).toBe(200);
    const done = await stripe.checkout.sessions.retrieve(session.id, { expand: ['customer'] });
    expect((done.customer as Stripe.Customer).email).toBe('new@example.com');
  });

  it('a browser form post redirects to success_url', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: 'b@example.com',
      line_items: [{ price: price.id }],
      success_url: 'https://app.example.com/ok?session_id={CHECKOUT_SESSION_ID}',
    });
    const res = await fetch(`${emu.url}/checkout/${session.id}/pay`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' },
      body: 'card=4242424242424242',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`https://app.example.com/ok?session_id=${session.id}`);
  });

  it('requires-action card asks for authentication, then completes', async () => {
    const { stripe, emu, receiver } = h;
    const { price } = await catalog(stripe);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: 'c@example.com',
      line_items: [{ price: price.id }],
      success_url: 'https://app.example.com/ok',
    });
    const pay = await control(emu, 'POST', `/checkout/${session.id}/pay`, { card: '4000002500003155' });
    expect(pay.body.status).toBe('requires_action');
    const pending = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    expect((pending.subscription as Stripe.Subscription).status).toBe('incomplete');
    await emu.flushWebhooks();
    expect(receiver.events.some((e) => e.type === 'invoice.payment_action_required')).toBe(true);

    const auth = await control(emu, 'POST', `/checkout/${session.id}/authenticate`, { result: 'success' });
    expect(auth.body.status).toBe('complete');
    const done = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    expect((done.subscription as Stripe.Subscription).status).toBe('active');
  });

  it('expires a session from the page and through the API', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe);
    const create = () =>
      stripe.checkout.sessions.create({ mode: 'subscription', customer_email: 'd@example.com', line_items: [{ price: price.id }], success_url: 'https://x.example/ok' });
    const a = await create();
    expect((await control(emu, 'POST', `/checkout/${a.id}/expire`)).body.status).toBe('expired');
    const b = await create();
    expect((await stripe.checkout.sessions.expire(b.id)).status).toBe('expired');
    const c = await create();
    emu.advance(24 * 3600 + 1);
    expect((await stripe.checkout.sessions.retrieve(c.id)).status).toBe('expired');
  });
});
