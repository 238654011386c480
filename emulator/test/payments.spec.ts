// PaymentMethods, PaymentIntents (with 3D Secure on the emulator's authentication page), Charges,
// Refunds, SetupIntents and the PaymentIntent behind every invoice, through the stripe SDK.
import Stripe from 'stripe';
import { catalog, control, DAY, harness, type Harness, stripeError } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(() => h.stop());
beforeEach(() => h.receiver.clear());

/** The events delivered so far of the given object id, by type, in order. */
async function eventsOf(id: string): Promise<string[]> {
  await h.emu.flushWebhooks();
  return h.receiver.events.filter((e) => (e.data.object as { id?: string }).id === id).map((e) => e.type);
}

/** Answers the authentication page of an intent in requires_action, as a test (JSON) would. */
async function authenticate(intent: { next_action: Stripe.PaymentIntent.NextAction | Stripe.SetupIntent.NextAction | null }, result: 'success' | 'fail') {
  const url = intent.next_action?.redirect_to_url?.url ?? (intent.next_action?.use_stripe_sdk as { stripe_js?: string } | undefined)?.stripe_js;
  expect(url).toMatch(/\/authenticate\/(pi|seti)_/);
  return control(h.emu, 'POST', new URL(url!).pathname, { result });
}

describe('PaymentMethods', () => {
  it('creates from a test token or a card number, attaches, lists, updates and detaches', async () => {
    const { stripe } = h;
    const customer = await stripe.customers.create({ email: 'pm@example.com' });
    const fromToken = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_mastercard' } });
    expect(fromToken).toMatchObject({ object: 'payment_method', type: 'card', customer: null, card: { brand: 'mastercard', last4: '4444' } });
    const fromNumber = await stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4242424242424242', exp_month: 8, exp_year: 2031, cvc: '123' },
      billing_details: { name: 'Hanako', email: 'hanako@example.com' },
    });
    expect(fromNumber.card).toMatchObject({ brand: 'visa', last4: '4242', exp_month: 8, exp_year: 2031 });
    expect(fromNumber.billing_details.name).toBe('Hanako');

    // Updating needs the card to be a customer's, as in Stripe.
    expect((await stripeError(stripe.paymentMethods.update(fromNumber.id, { metadata: { a: 'b' } }))).statusCode).toBe(400);
    await stripe.paymentMethods.attach(fromNumber.id, { customer: customer.id });
    await stripe.paymentMethods.attach(fromToken.id, { customer: customer.id });
    const updated = await stripe.paymentMethods.update(fromNumber.id, { metadata: { a: 'b' }, billing_details: { phone: '+81 3 0000 0000' } });
    expect(updated).toMatchObject({ metadata: { a: 'b' }, billing_details: { name: 'Hanako', phone: '+81 3 0000 0000' } });

    const listed = await stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
    expect(listed.data.map((pm) => pm.id)).toEqual([fromNumber.id, fromToken.id]);
    const ofCustomer = await stripe.customers.listPaymentMethods(customer.id, { limit: 1 });
    expect([ofCustomer.data.map((pm) => pm.id), ofCustomer.has_more]).toEqual([[fromNumber.id], true]);
    expect((await stripe.customers.retrievePaymentMethod(customer.id, fromNumber.id)).id).toBe(fromNumber.id);

    // The default card of the customer: detaching it clears the default.
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: fromNumber.id } });
    const detached = await stripe.paymentMethods.detach(fromNumber.id);
    expect(detached.customer).toBeNull();
    expect((await stripe.customers.retrieve(customer.id) as Stripe.Customer).invoice_settings.default_payment_method).toBeNull();
    expect(await eventsOf(fromNumber.id)).toEqual(['payment_method.attached', 'payment_method.updated', 'payment_method.detached']);

    // A card already attached elsewhere cannot be attached again; an unknown token is a 400.
    const other = await stripe.customers.create({});
    expect((await stripeError(stripe.paymentMethods.attach(fromToken.id, { customer: other.id }))).statusCode).toBe(400);
    expect((await stripeError(stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_nope' } }))).param).toBe('card[token]');
  });

  it('each use of a pm_card_* test id makes a fresh payment method', async () => {
    const { stripe } = h;
    const customer = await stripe.customers.create({});
    const a = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const b = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    expect(a.id).not.toBe(b.id);
    expect([a.customer, b.customer]).toEqual([customer.id, customer.id]);
    expect((await stripe.paymentMethods.retrieve(a.id)).card?.last4).toBe('4242');
  });
});

describe('PaymentIntents and Charges', () => {
  it('create + confirm succeeds: a captured charge, the events of both', async () => {
    const { stripe } = h;
    const customer = await stripe.customers.create({});
    const pi = await stripe.paymentIntents.create({ amount: 1500, currency: 'jpy', customer: customer.id, metadata: { order: '1' } });
    expect(pi).toMatchObject({ status: 'requires_payment_method', amount: 1500, automatic_payment_methods: { enabled: true }, latest_charge: null });
    expect(pi.client_secret).toMatch(new RegExp(`^${pi.id}_secret_`));
    const confirmed = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 1500 });
    const charge = await stripe.charges.retrieve(confirmed.latest_charge as string);
    expect(charge).toMatchObject({ status: 'succeeded', paid: true, captured: true, amount: 1500, amount_captured: 1500, payment_intent: pi.id, customer: customer.id, metadata: { order: '1' } });
    expect(charge.payment_method_details?.card?.last4).toBe('4242');
    expect(await eventsOf(pi.id)).toEqual(['payment_intent.created', 'payment_intent.succeeded']);
    expect(await eventsOf(charge.id)).toEqual(['charge.succeeded']);
    expect((await stripe.charges.list({ payment_intent: pi.id })).data.map((c) => c.id)).toEqual([charge.id]);
    expect((await stripe.paymentIntents.list({ customer: customer.id })).data.map((p) => p.id)).toEqual([pi.id]);
  });

  it('a declined card: 402 with the PaymentIntent, a failed charge, last_payment_error; a new card then succeeds', async () => {
    const { stripe } = h;
    const e = await stripeError(stripe.paymentIntents.create({ amount: 900, currency: 'jpy', payment_method: 'pm_card_chargeDeclinedInsufficientFunds', confirm: true }));
    expect([e.statusCode, e.type, e.code, e.decline_code]).toEqual([402, 'StripeCardError', 'card_declined', 'insufficient_funds']);
    const pi = e.payment_intent!;
    expect(pi).toMatchObject({ status: 'requires_payment_method', payment_method: null, last_payment_error: { type: 'card_error', decline_code: 'insufficient_funds' } });
    const failed = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(failed).toMatchObject({ status: 'failed', paid: false, failure_code: 'card_declined', outcome: { reason: 'insufficient_funds', type: 'issuer_declined' } });
    expect(await eventsOf(pi.id)).toEqual(['payment_intent.created', 'payment_intent.payment_failed']);
    expect(await eventsOf(failed.id)).toEqual(['charge.failed']);

    const retried = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    expect([retried.status, retried.last_payment_error]).toEqual(['succeeded', null]);
  });

  it('3D Secure: requires_action with redirect_to_url, completed or failed on the authentication page', async () => {
    const { stripe, emu } = h;
    const pi = await stripe.paymentIntents.create({ amount: 3000, currency: 'jpy', payment_method: 'pm_card_threeDSecure2Required', confirm: true, return_url: 'https://shop.example/done' });
    expect(pi.status).toBe('requires_action');
    expect(pi.next_action).toMatchObject({ type: 'redirect_to_url', redirect_to_url: { return_url: 'https://shop.example/done' } });
    const ok = await authenticate(pi, 'success');
    expect(ok.body).toMatchObject({ id: pi.id, status: 'succeeded' });
    expect(await eventsOf(pi.id)).toEqual(['payment_intent.created', 'payment_intent.requires_action', 'payment_intent.succeeded']);

    // Without return_url the next action is for Stripe.js; failing it asks for another payment method.
    const other = await stripe.paymentIntents.create({ amount: 3000, currency: 'jpy', payment_method: 'pm_card_authenticationRequired', confirm: true });
    expect(other.next_action?.type).toBe('use_stripe_sdk');
    const failed = await authenticate(other, 'fail');
    expect(failed.status).toBe(402);
    const after = await stripe.paymentIntents.retrieve(other.id);
    expect([after.status, after.last_payment_error?.code]).toEqual(['requires_payment_method', 'payment_intent_authentication_failure']);

    // A browser is sent back to the return_url with Stripe's parameters.
    const third = await stripe.paymentIntents.create({ amount: 10, currency: 'jpy', payment_method: 'pm_card_threeDSecure2Required', confirm: true, return_url: 'https://shop.example/done' });
    const page = await fetch(third.next_action!.redirect_to_url!.url!, { headers: { Accept: 'text/html' } });
    expect(await page.text()).toContain('name="result" value="success"');
    const res = await fetch(third.next_action!.redirect_to_url!.url!, { method: 'POST', redirect: 'manual', headers: { Accept: 'text/html', 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'result=success' });
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location')!);
    expect([back.origin + back.pathname, back.searchParams.get('payment_intent'), back.searchParams.get('redirect_status')]).toEqual(['https://shop.example/done', third.id, 'succeeded']);
    void emu;
  });

  it('off_session with a card that wants authentication fails with authentication_required', async () => {
    const { stripe } = h;
    const customer = await stripe.customers.create({});
    const pm = await stripe.paymentMethods.attach('pm_card_authenticationRequired', { customer: customer.id });
    const e = await stripeError(stripe.paymentIntents.create({ amount: 500, currency: 'jpy', customer: customer.id, payment_method: pm.id, off_session: true, confirm: true }));
    expect([e.statusCode, e.code, e.payment_intent?.status]).toEqual([402, 'authentication_required', 'requires_payment_method']);
  });

  it('manual capture: requires_capture, then a partial capture (the rest released), and cancel releases an authorization', async () => {
    const { stripe } = h;
    const pi = await stripe.paymentIntents.create({ amount: 2000, currency: 'jpy', payment_method: 'pm_card_visa', capture_method: 'manual', confirm: true });
    expect([pi.status, pi.amount_capturable, pi.amount_received]).toEqual(['requires_capture', 2000, 0]);
    const captured = await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1500 });
    expect([captured.status, captured.amount_capturable, captured.amount_received]).toEqual(['succeeded', 0, 1500]);
    const charge = await stripe.charges.retrieve(captured.latest_charge as string);
    expect([charge.captured, charge.amount_captured, charge.amount_refunded, charge.refunded]).toEqual([true, 1500, 500, false]);
    expect(await eventsOf(pi.id)).toEqual(['payment_intent.created', 'payment_intent.amount_capturable_updated', 'payment_intent.succeeded']);
    expect(await eventsOf(charge.id)).toEqual(['charge.succeeded', 'charge.captured']);
    expect((await stripeError(stripe.paymentIntents.capture(pi.id))).code).toBe('payment_intent_unexpected_state');

    const held = await stripe.paymentIntents.create({ amount: 700, currency: 'jpy', payment_method: 'pm_card_visa', capture_method: 'manual', confirm: true });
    const canceled = await stripe.paymentIntents.cancel(held.id, { cancellation_reason: 'requested_by_customer' });
    expect([canceled.status, canceled.cancellation_reason]).toEqual(['canceled', 'requested_by_customer']);
    expect((await stripe.charges.retrieve(held.latest_charge as string)).refunded).toBe(true);
    expect((await stripeError(stripe.paymentIntents.confirm(held.id, { payment_method: 'pm_card_visa' }))).code).toBe('payment_intent_unexpected_state');
  });

  it('update: amount, metadata, a new payment method makes it requires_confirmation', async () => {
    const { stripe } = h;
    const pi = await stripe.paymentIntents.create({ amount: 100, currency: 'jpy', allowed_payment_method_types: ['card'] });
    const updated = await stripe.paymentIntents.update(pi.id, { amount: 250, metadata: { k: 'v' }, payment_method: 'pm_card_mastercard' });
    expect(updated).toMatchObject({ amount: 250, metadata: { k: 'v' }, status: 'requires_confirmation', automatic_payment_methods: null, allowed_payment_method_types: ['card'], payment_method_types: ['card'] });
    expect((await stripe.paymentIntents.confirm(pi.id)).status).toBe('succeeded');
    expect((await stripeError(stripe.paymentIntents.create({ amount: 0, currency: 'jpy' }))).param).toBe('amount');
  });
});

describe('Refunds', () => {
  it('partial then full refunds of a payment; more than what is left is refused', async () => {
    const { stripe } = h;
    const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'jpy', payment_method: 'pm_card_visa', confirm: true });
    const first = await stripe.refunds.create({ payment_intent: pi.id, amount: 300, reason: 'requested_by_customer' });
    expect(first).toMatchObject({ object: 'refund', amount: 300, status: 'succeeded', payment_intent: pi.id, charge: pi.latest_charge, reason: 'requested_by_customer' });
    let charge = await stripe.charges.retrieve(pi.latest_charge as string);
    expect([charge.amount_refunded, charge.refunded]).toEqual([300, false]);
    const tooMuch = await stripeError(stripe.refunds.create({ charge: charge.id, amount: 800 }));
    expect([tooMuch.statusCode, tooMuch.code]).toEqual([400, 'amount_too_large']);
    const rest = await stripe.refunds.create({ charge: charge.id });
    expect(rest.amount).toBe(700);
    charge = await stripe.charges.retrieve(charge.id);
    expect([charge.amount_refunded, charge.refunded]).toEqual([1000, true]);
    expect((await stripeError(stripe.refunds.create({ charge: charge.id }))).code).toBe('charge_already_refunded');
    expect((await stripe.refunds.list({ payment_intent: pi.id })).data.map((r) => r.id)).toEqual([rest.id, first.id]);
    expect((await stripe.refunds.retrieve(first.id)).amount).toBe(300);
    expect(await eventsOf(charge.id)).toEqual(['charge.succeeded', 'charge.refunded', 'charge.refunded']);
    expect(await eventsOf(first.id)).toEqual(['refund.created']);
  });
});

describe('SetupIntents', () => {
  it('saves a card to the customer; a card that asks for authentication on setup, then pays off session', async () => {
    const { stripe } = h;
    const customer = await stripe.customers.create({});
    const si = await stripe.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_visa', confirm: true });
    expect(si.status).toBe('succeeded');
    expect((await stripe.paymentMethods.retrieve(si.payment_method as string)).customer).toBe(customer.id);
    expect(await eventsOf(si.id)).toEqual(['setup_intent.created', 'setup_intent.succeeded']);

    const onSetup = await stripe.setupIntents.create({ customer: customer.id, usage: 'off_session' });
    expect(onSetup.status).toBe('requires_payment_method');
    const asks = await stripe.setupIntents.confirm(onSetup.id, { payment_method: 'pm_card_authenticationRequiredOnSetup', return_url: 'https://x.example/back' });
    expect([asks.status, asks.next_action?.type]).toEqual(['requires_action', 'redirect_to_url']);
    expect((await authenticate(asks, 'success')).body).toMatchObject({ id: onSetup.id, status: 'succeeded' });
    const pm = (await stripe.setupIntents.retrieve(onSetup.id)).payment_method as string;
    // Authenticated once on setup, the card pays off session without asking again.
    const later = await stripe.paymentIntents.create({ amount: 800, currency: 'jpy', customer: customer.id, payment_method: pm, off_session: true, confirm: true });
    expect(later.status).toBe('succeeded');
    expect(await eventsOf(onSetup.id)).toEqual(['setup_intent.created', 'setup_intent.requires_action', 'setup_intent.succeeded']);
  });

  it('a declined card fails the setup with a 402 carrying the SetupIntent; cancel', async () => {
    const { stripe } = h;
    const customer = await stripe.customers.create({});
    const e = await stripeError(stripe.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_chargeDeclined', confirm: true }));
    expect([e.statusCode, e.code, e.setup_intent?.status, e.setup_intent?.last_setup_error?.decline_code]).toEqual([402, 'card_declined', 'requires_payment_method', 'generic_decline']);
    // 4000000000000341 attaches fine (its charges fail later).
    const attaches = await stripe.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_chargeCustomerFail', confirm: true });
    expect(attaches.status).toBe('succeeded');
    const canceled = await stripe.setupIntents.cancel(e.setup_intent!.id, { cancellation_reason: 'abandoned' });
    expect([canceled.status, canceled.cancellation_reason]).toEqual(['canceled', 'abandoned']);
    expect(await eventsOf(canceled.id)).toEqual(['setup_intent.created', 'setup_intent.setup_failed', 'setup_intent.canceled']);
    const updated = await stripe.setupIntents.update(attaches.id, { metadata: { a: 'b' } }).catch((x: Stripe.errors.StripeError) => x);
    expect((updated as Stripe.errors.StripeError).code).toBe('setup_intent_unexpected_state');
    expect((await stripe.setupIntents.list({ customer: customer.id })).data.map((s) => s.id)).toEqual([attaches.id, canceled.id]);
  });
});

describe("invoices' PaymentIntents", () => {
  it('default_incomplete: the confirmation_secret, confirming its PaymentIntent pays the invoice and activates the subscription', async () => {
    const { stripe } = h;
    const { price } = await catalog(stripe, { amount: 1200 });
    const customer = await stripe.customers.create({ email: 'client@example.com' });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
      expand: ['latest_invoice.confirmation_secret', 'latest_invoice.payments'],
    });
    expect(sub.status).toBe('incomplete');
    const invoice = sub.latest_invoice as Stripe.Invoice;
    expect(invoice.confirmation_secret?.type).toBe('payment_intent');
    const piId = invoice.confirmation_secret!.client_secret.split('_secret_')[0];
    expect(invoice.payments?.data.map((p) => [p.status, p.payment.payment_intent, p.amount_requested])).toEqual([['open', piId, 1200]]);
    const pi = await stripe.paymentIntents.retrieve(piId);
    expect(pi).toMatchObject({ amount: 1200, customer: customer.id, status: 'requires_payment_method', description: 'Subscription creation' });

    // The client-side flow: the customer confirms with a card (3D Secure first).
    const asks = await stripe.paymentIntents.confirm(piId, { payment_method: 'pm_card_threeDSecure2Required', return_url: 'https://app.example/return' });
    expect(asks.status).toBe('requires_action');
    expect((await authenticate(asks, 'success')).body.status).toBe('succeeded');
    const paid = await stripe.invoices.retrieve(invoice.id, { expand: ['payments', 'confirmation_secret'] });
    expect([paid.status, paid.amount_paid, paid.confirmation_secret]).toEqual(['paid', 1200, null]);
    expect(paid.payments?.data.map((p) => [p.status, p.amount_paid])).toEqual([['paid', 1200]]);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
    const listed = await stripe.invoicePayments.list({ invoice: invoice.id });
    expect(listed.data.map((p) => p.status)).toEqual(['paid']);
    expect((await stripe.invoicePayments.retrieve(listed.data[0].id)).invoice).toBe(invoice.id);
    // Its amount follows the invoice.
    expect((await stripeError(stripe.paymentIntents.update(piId, { amount: 1 }))).statusCode).toBe(400);
  });

  it('renewals charge through a PaymentIntent: a declined renewal leaves a failed charge; voiding cancels the PaymentIntent', async () => {
    const { stripe, emu } = h;
    const { price } = await catalog(stripe, { amount: 500 });
    const customer = await stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    expect(sub.status).toBe('active');
    const [first] = (await stripe.charges.list({ customer: customer.id })).data;
    expect([first.status, first.amount]).toEqual(['succeeded', 500]);
    // The default card belongs to the customer now.
    expect((await stripe.customers.listPaymentMethods(customer.id)).data.map((pm) => pm.id)).toEqual([first.payment_method]);

    await control(emu, 'POST', `/_emulator/customers/${customer.id}/card`, { card: '4000000000000341' });
    emu.advance(32 * DAY);
    const renewal = await stripe.invoices.retrieve((await stripe.subscriptions.retrieve(sub.id)).latest_invoice as string, { expand: ['payments'] });
    expect(renewal.status).toBe('open');
    const charges = (await stripe.charges.list({ customer: customer.id })).data;
    expect(charges.map((c) => c.status)).toEqual(['failed', 'succeeded']);
    const pi = await stripe.paymentIntents.retrieve(renewal.payments!.data[0].payment.payment_intent as string);
    expect([pi.status, pi.last_payment_error?.decline_code, pi.latest_charge]).toEqual(['requires_payment_method', 'generic_decline', charges[0].id]);

    await stripe.invoices.voidInvoice(renewal.id);
    const voided = await stripe.paymentIntents.retrieve(pi.id);
    expect([voided.status, voided.cancellation_reason]).toEqual(['canceled', 'void_invoice']);
    expect((await stripe.invoicePayments.list({ invoice: renewal.id })).data.map((p) => p.status)).toEqual(['canceled']);
  });
});

describe('Checkout in payment and setup modes', () => {
  it('payment mode: one-time prices and price_data; a decline keeps the session open, 3D Secure then completes it with a PaymentIntent', async () => {
    const { stripe, emu } = h;
    const { product } = await catalog(stripe);
    const oneTime = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 700 });
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 2 }, { price_data: { currency: 'jpy', unit_amount: 300, product_data: { name: 'Gift wrap' } }, quantity: 1 }],
      customer_creation: 'always',
      customer_email: 'buyer@example.com',
      payment_intent_data: { metadata: { order: 'o-9' } },
      success_url: 'https://shop.example/ok',
    });
    expect([session.mode, session.amount_total, session.payment_status, session.payment_intent]).toEqual(['payment', 1700, 'unpaid', null]);
    const items = await stripe.checkout.sessions.listLineItems(session.id);
    expect(items.data.map((li) => [li.description, li.amount_total])).toEqual([['Pro plan', 1400], ['Gift wrap', 300]]);

    const declined = await control(emu, 'POST', `/checkout/${session.id}/pay`, { card: '4000000000000002' });
    expect([declined.status, declined.body.error.code]).toEqual([402, 'card_declined']);
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    const asks = await control(emu, 'POST', `/checkout/${session.id}/pay`, { card: '4000002500003155' });
    expect(asks.body.status).toBe('requires_action');
    const done = await control(emu, 'POST', `/checkout/${session.id}/authenticate`, { result: 'success' });
    expect(done.body.status).toBe('complete');

    const completed = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
    const pi = completed.payment_intent as Stripe.PaymentIntent;
    expect([completed.status, completed.payment_status, completed.subscription]).toEqual(['complete', 'paid', null]);
    expect(pi).toMatchObject({ status: 'succeeded', amount: 1700, currency: 'jpy', customer: completed.customer, metadata: { order: 'o-9' } });
    expect((await stripe.customers.retrieve(completed.customer as string) as Stripe.Customer).email).toBe('buyer@example.com');
    // The declined attempt and the payment are both charges of the one PaymentIntent.
    expect((await stripe.charges.list({ payment_intent: pi.id })).data.map((c) => c.status)).toEqual(['succeeded', 'failed']);
    expect(await eventsOf(session.id)).toEqual(['checkout.session.completed']);

    const recurring = await stripeError(stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: (await catalog(stripe)).price.id }], success_url: 'https://x.example' }));
    expect([recurring.statusCode, recurring.param]).toEqual([400, 'line_items[0][price]']);
  });

  it('setup mode: saves the card to the customer through a SetupIntent', async () => {
    const { stripe, emu } = h;
    const customer = await stripe.customers.create({ email: 'saver@example.com' });
    const session = await stripe.checkout.sessions.create({ mode: 'setup', customer: customer.id, currency: 'jpy', setup_intent_data: { metadata: { why: 'later' } }, success_url: 'https://x.example/ok' });
    expect([session.mode, session.amount_total, session.payment_status, session.currency]).toEqual(['setup', null, 'no_payment_required', 'jpy']);
    const paid = await control(emu, 'POST', `/checkout/${session.id}/pay`, { card: '4242424242424242' });
    expect(paid.body.status).toBe('complete');
    const completed = await stripe.checkout.sessions.retrieve(session.id, { expand: ['setup_intent'] });
    const si = completed.setup_intent as Stripe.SetupIntent;
    expect([completed.status, si.status, si.customer, si.metadata]).toEqual(['complete', 'succeeded', customer.id, { why: 'later' }]);
    expect((await stripe.customers.listPaymentMethods(customer.id)).data.map((pm) => pm.id)).toEqual([si.payment_method]);
    expect(await eventsOf(session.id)).toEqual(['checkout.session.completed']);
    // The hosted page offers to save the card.
    const page = await (await fetch(`${emu.url}/checkout/${(await stripe.checkout.sessions.create({ mode: 'setup', customer: customer.id, success_url: 'https://x.example/ok' })).id}`)).text();
    expect(page).toContain('Save card');
  });
});
