// Checkout sessions. The session's `url` is the emulator's own hosted page (pages/hosted.ts); in
// subscription mode paying there (or `POST /checkout/:id/pay`) creates the customer if needed, the
// subscription and its first invoice, and completes the session. Payment and setup modes pay
// through a PaymentIntent or SetupIntent (checkout-payments.ts).
import type Stripe from 'stripe';
import { chargeOutcome } from '../billing/cards.js';
import { amountsOff, parseDiscounts, type DiscountSpec } from '../billing/discounts.js';
import { afterIntentAttempt } from '../billing/invoice-payments.js';
import { authenticatePayment, invoiceIntent } from '../billing/payment-intents.js';
import { createSubscription } from '../billing/subscriptions.js';
import { checkMeteredQuantity, isMetered } from '../billing/usage.js';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { registerExpandable } from '../http/expand.js';
import { createdFilter, listOf, pageOf, pageOfArray } from '../http/list.js';
import { Params } from '../http/params.js';
import type { ApiRouter } from '../http/routes.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { authenticateIntentSession, awaitsAuthentication, oneTimePrice, payIntentSession, rememberIntentData } from './checkout-payments.js';
import { createCustomer } from './customers.js';
import { attachPaymentMethod, paymentMethodForCard } from './payment-methods.js';
import { applicationFee, transferData } from './subscriptions.js';

/** What the session will create, kept until it is paid (Stripe keeps it server-side too). */
interface PendingSubscription {
  metadata: Record<string, string>;
  applicationFeePercent: number | null;
  transferData: { destination: string; amount_percent: number | null } | null;
  trialPeriodDays: number | null;
  defaultTaxRates: Stripe.TaxRate[];
  description: string | null;
  discounts: DiscountSpec[];
}

const pending = new WeakMap<Stripe.Checkout.Session, PendingSubscription>();

registerExpandable('checkout.session', 'line_items', (owner, scope) =>
  listOf(scope.checkoutLineItems.get(String(owner.id)) ?? [], `/v1/checkout/sessions/${String(owner.id)}/line_items`),
);

function lineItems(emu: Emulator, scope: Scope, p: Params, mode: Stripe.Checkout.Session.Mode): Stripe.LineItem[] {
  const items = p.list('line_items');
  if (mode === 'setup') {
    if (items) throw errors.invalid('You cannot pass `line_items` in `setup` mode.', 'line_items');
    return [];
  }
  if (!items || items.length === 0) throw errors.missing('line_items');
  return items.map((it, i) => {
    const price = mode === 'payment' ? oneTimePrice(emu, scope, it, i) : scope.prices.require(it.reqStr('price'), `line_items[${i}][price]`);
    if (mode === 'subscription' && price.type !== 'recurring') {
      throw errors.invalid('In `subscription` mode, there must be at least one recurring price in `line_items`.', `line_items[${i}][price]`);
    }
    checkMeteredQuantity(price, it.int('quantity'), `line_items[${i}]`);
    const quantity = it.int('quantity') ?? 1;
    // A metered price costs nothing at checkout: its usage is billed at the period end.
    const amount = isMetered(price) ? 0 : (price.unit_amount ?? 0) * quantity;
    return {
      id: newId('li'),
      object: 'item',
      adjustable_quantity: null,
      amount_discount: 0,
      amount_subtotal: amount,
      amount_tax: 0,
      amount_total: amount,
      currency: price.currency,
      description: scope.products.get(price.product as string)?.name ?? null,
      metadata: {},
      price,
      quantity: isMetered(price) ? null : quantity,
    };
  });
}

/** The session's discounts on its line items (`amount_discount`, `amount_total`), as its first invoice will take them off. */
function applyToLineItems(items: Stripe.LineItem[], discounts: DiscountSpec[]): void {
  const off = amountsOff(
    discounts.map((d) => d.coupon),
    items.map((li) => ({ amount: li.amount_subtotal, product: li.price!.product as string, discountable: true })),
  );
  items.forEach((li, i) => {
    li.amount_discount = off.reduce((s, row) => s + row[i], 0);
    li.amount_total = li.amount_subtotal - li.amount_discount;
  });
}

export function createCheckoutSession(emu: Emulator, ctx: Parameters<typeof applicationFee>[0]): Stripe.Checkout.Session {
  const { scope, p } = ctx;
  const mode = p.oneOf('mode', ['payment', 'setup', 'subscription'] as const);
  if (!mode) throw errors.missing('mode');
  const customerId = p.str('customer');
  if (customerId) scope.customers.require(customerId, 'customer');
  const customerEmail = p.str('customer_email') || null;
  if (customerId && customerEmail) throw errors.invalid('You may only specify one of these parameters: customer, customer_email.', 'customer_email');
  const uiMode = p.str('ui_mode');
  const successUrl = p.str('success_url') || null;
  // This API version's ui_mode values: hosted_page (the default), embedded_page, elements, form.
  if (!successUrl && uiMode !== 'embedded_page' && uiMode !== 'elements') throw errors.missing('success_url');
  const items = lineItems(emu, scope, p, mode);
  if (mode !== 'subscription' && p.has('subscription_data')) throw errors.invalid(`You can only pass \`subscription_data\` in \`subscription\` mode.`, 'subscription_data');
  const sd = p.obj('subscription_data');
  const td = sd ? transferData(ctx, sd) : null;
  const now = emu.clock.now();
  const expiresAt = p.int('expires_at') ?? now + emu.settings.checkoutExpirySeconds;
  const id = newId('cs_test', 58);
  // A setup-mode session charges nothing: no discounts, no amounts, and a currency only when given.
  const discounts =
    mode === 'setup'
      ? []
      : (parseDiscounts(emu, scope, p, 'discounts', { customer: customerId || null, currency: items[0].currency, amount: items.reduce((sum, i) => sum + i.amount_subtotal, 0) }) ?? []);
  if (discounts.length > 0 && p.bool('allow_promotion_codes')) {
    throw errors.invalid('You may only specify one of these parameters: allow_promotion_codes, discounts.', 'discounts');
  }
  applyToLineItems(items, discounts);
  const subtotal = mode === 'setup' ? null : items.reduce((s, i) => s + i.amount_subtotal, 0);
  const amount = mode === 'setup' ? null : items.reduce((s, i) => s + i.amount_total, 0);
  const session: Stripe.Checkout.Session = {
    id,
    object: 'checkout.session',
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: p.bool('allow_promotion_codes') ?? null,
    allowed_payment_method_types: null,
    amount_subtotal: subtotal,
    amount_total: amount,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: p.str('cancel_url') || null,
    client_reference_id: p.str('client_reference_id') || null,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: now,
    currency: items[0]?.currency ?? (p.str('currency')?.toLowerCase() || null),
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: customerId || null,
    customer_account: null,
    customer_creation: customerId ? null : mode === 'subscription' ? 'always' : (p.oneOf('customer_creation', ['always', 'if_required'] as const) ?? 'if_required'),
    customer_details: customerEmail ? { address: null, email: customerEmail, name: null, phone: null, tax_exempt: 'none', tax_ids: null, business_name: null, individual_name: null } : null,
    customer_email: customerEmail,
    discounts: discounts.map((d) => ({ coupon: d.promotionCode ? null : d.coupon.id, promotion_code: d.promotionCode?.id ?? null })),
    expires_at: expiresAt,
    integration_identifier: null,
    invoice: null,
    invoice_creation: null,
    livemode: false,
    locale: (p.str('locale') as Stripe.Checkout.Session.Locale | undefined) ?? null,
    managed_payments: null,
    metadata: p.metadata(),
    mode,
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: 'always',
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: ['card'],
    payment_status: mode === 'setup' ? 'no_payment_required' : 'unpaid',
    permissions: null,
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: successUrl,
    total_details: { amount_discount: (subtotal ?? 0) - (amount ?? 0), amount_shipping: 0, amount_tax: 0 },
    ui_mode: (uiMode as Stripe.Checkout.Session.UiMode | undefined) ?? 'hosted_page',
    url: `${emu.publicUrl}/checkout/${id}`,
    wallet_options: null,
  };
  if (mode !== 'subscription') rememberIntentData(session, p);
  else pending.set(session, {
    metadata: sd?.metadata() ?? {},
    applicationFeePercent: sd ? applicationFee(ctx, sd, td?.destination) : null,
    transferData: td,
    trialPeriodDays: sd?.int('trial_period_days') ?? null,
    defaultTaxRates: (sd?.strings('default_tax_rates') ?? []).map((t) => scope.taxRates.require(t, 'subscription_data[default_tax_rates]')),
    description: sd?.str('description') || null,
    discounts,
  });
  scope.checkoutSessions.add(session);
  scope.checkoutLineItems.set(id, items);
  emu.pageIndex.set(id, scope);
  emu.clock.schedule(expiresAt, `checkout_expire:${id}`, () => {
    if (session.status === 'open') expireCheckoutSession(emu, scope, session);
  });
  return session;
}

export function expireCheckoutSession(emu: Emulator, scope: Scope, session: Stripe.Checkout.Session): Stripe.Checkout.Session {
  if (session.status !== 'open') throw errors.invalid(`Only Checkout Sessions with a status of \`open\` can be expired (this one is ${session.status}).`);
  session.status = 'expired';
  session.url = null;
  emu.clock.cancel(`checkout_expire:${session.id}`);
  emu.events.publish(scope, 'checkout.session.expired', session);
  return session;
}

export type CheckoutResult = { status: 'complete'; session: Stripe.Checkout.Session } | { status: 'requires_action'; session: Stripe.Checkout.Session };

function complete(emu: Emulator, scope: Scope, session: Stripe.Checkout.Session, customerId: string | null, sub?: Stripe.Subscription, email?: string): void {
  const customer = customerId ? scope.customers.get(customerId) : undefined;
  session.status = 'complete';
  if (session.mode !== 'setup') session.payment_status = 'paid';
  if (sub) {
    session.subscription = sub.id;
    session.invoice = typeof sub.latest_invoice === 'string' ? sub.latest_invoice : null;
  }
  session.customer = customerId;
  session.url = null;
  session.customer_details = {
    address: customer?.address ?? null,
    email: customer?.email ?? session.customer_email ?? email ?? null,
    name: customer?.name ?? null,
    phone: customer?.phone ?? null,
    tax_exempt: customer?.tax_exempt ?? 'none',
    tax_ids: [],
    business_name: null,
    individual_name: null,
  };
  emu.clock.cancel(`checkout_expire:${session.id}`);
  emu.events.publish(scope, 'checkout.session.completed', session);
}

/** The customer pays on the hosted page with a test card. A decline leaves the session open (402). */
export function payCheckoutSession(emu: Emulator, scope: Scope, session: Stripe.Checkout.Session, card: string, form: { email?: string; name?: string }): CheckoutResult {
  if (session.status !== 'open') throw errors.invalid(`This Checkout Session is ${session.status}.`);
  if (session.subscription || awaitsAuthentication(scope, session)) throw errors.invalid('This Checkout Session is waiting for authentication; use /authenticate.');
  if (session.mode !== 'subscription') {
    const status = payIntentSession(emu, scope, session, card, {
      customer: () => sessionCustomer(emu, scope, session, form),
      complete: (customer) => complete(emu, scope, session, customer, undefined, form.email),
    });
    return { status, session };
  }
  const pm = paymentMethodForCard(emu, scope, card);
  const outcome = chargeOutcome(scope.cards.get(pm.id), true);
  const settings = pending.get(session)!;
  const trial = settings.trialPeriodDays !== null;
  if (outcome.kind === 'declined' && !trial) throw errors.card(outcome.declineCode, outcome.message);
  // Subscription mode always has a customer (customer_creation=always when none is given); the card is saved to it.
  const customer = scope.customers.require(sessionCustomer(emu, scope, session, form)!);
  attachPaymentMethod(emu, scope, pm, customer.id);
  const items = scope.checkoutLineItems.get(session.id) ?? [];
  const sub = createSubscription(emu, scope, {
    customer,
    items: items.map((li) => ({ price: li.price!, quantity: li.quantity ?? 1, taxRates: null, metadata: {} })),
    paymentBehavior: 'allow_incomplete',
    defaultPaymentMethod: pm.id,
    trialEnd: trial ? emu.clockOf(scope, customer).now() + settings.trialPeriodDays! * 86_400 : null,
    defaultTaxRates: settings.defaultTaxRates,
    metadata: settings.metadata,
    description: settings.description,
    applicationFeePercent: settings.applicationFeePercent,
    transferData: settings.transferData,
    cancelAtPeriodEnd: false,
    missingPaymentMethod: 'create_invoice',
    announceBeforePayment: true,
    discounts: settings.discounts,
    checkoutSession: session.id,
  });
  if (sub.status === 'incomplete') {
    session.subscription = sub.id;
    return { status: 'requires_action', session };
  }
  complete(emu, scope, session, sub.customer as string, sub);
  return { status: 'complete', session };
}

/** The 3D Secure step of the hosted page: success pays the first invoice, failure leaves it open. */
export function authenticateCheckoutSession(emu: Emulator, scope: Scope, session: Stripe.Checkout.Session, succeed: boolean): CheckoutResult {
  if (session.mode !== 'subscription') {
    authenticateIntentSession(emu, scope, session, succeed, (customer) => complete(emu, scope, session, customer));
    return { status: 'complete', session };
  }
  const sub = typeof session.subscription === 'string' ? scope.subscriptions.get(session.subscription) : undefined;
  if (session.status !== 'open' || !sub) throw errors.invalid('This Checkout Session is not waiting for authentication.');
  if (!succeed) throw errors.card('authentication_required', 'We are unable to authenticate your payment method. Please choose a different payment method and try again.');
  const invoice = scope.invoices.require(sub.latest_invoice as string);
  const pi = invoiceIntent(scope, invoice.id);
  if (!pi || pi.status !== 'requires_action') throw errors.invalid('This Checkout Session is not waiting for authentication.');
  const pm = String(pi.payment_method);
  afterIntentAttempt(emu, scope, pi, pm, authenticatePayment(emu, scope, pi, true));
  complete(emu, scope, session, sub.customer as string, sub);
  return { status: 'complete', session };
}

/** The session's customer, or a new one when `customer_creation=always`. */
function sessionCustomer(emu: Emulator, scope: Scope, session: Stripe.Checkout.Session, form: { email?: string; name?: string }): string | null {
  if (typeof session.customer === 'string') return session.customer;
  if (session.customer_creation !== 'always') return null;
  const params: Record<string, string> = {};
  const email = session.customer_email ?? form.email;
  if (email) params.email = email;
  if (form.name) params.name = form.name;
  return createCustomerFrom(emu, scope, params).id;
}

function createCustomerFrom(emu: Emulator, scope: Scope, fields: Record<string, string>): Stripe.Customer {
  return createCustomer(emu, scope, new Params(fields));
}

export function checkoutRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/checkout/sessions', [
    'allow_promotion_codes', 'cancel_url', 'client_reference_id', 'currency', 'customer', 'customer_creation',
    'customer_email', 'discounts[coupon]', 'discounts[promotion_code]', 'expires_at', 'line_items[price]',
    'line_items[price_data][currency]', 'line_items[price_data][product]',
    'line_items[price_data][product_data][description]', 'line_items[price_data][product_data][images]',
    'line_items[price_data][product_data][metadata]', 'line_items[price_data][product_data][name]',
    'line_items[price_data][product_data][tax_code]', 'line_items[price_data][product_data][unit_label]',
    'line_items[price_data][tax_behavior]', 'line_items[price_data][unit_amount]', 'line_items[quantity]', 'locale',
    'metadata', 'mode', 'payment_intent_data[capture_method]', 'payment_intent_data[description]',
    'payment_intent_data[metadata]', 'payment_intent_data[receipt_email]', 'payment_intent_data[setup_future_usage]',
    'payment_intent_data[shipping][address][city]', 'payment_intent_data[shipping][address][country]',
    'payment_intent_data[shipping][address][line1]', 'payment_intent_data[shipping][address][line2]',
    'payment_intent_data[shipping][address][postal_code]', 'payment_intent_data[shipping][address][state]',
    'payment_intent_data[shipping][carrier]', 'payment_intent_data[shipping][name]', 'payment_intent_data[shipping][phone]',
    'payment_intent_data[shipping][tracking_number]', 'setup_intent_data[description]', 'setup_intent_data[metadata]',
    'subscription_data[application_fee_percent]', 'subscription_data[default_tax_rates]', 'subscription_data[description]',
    'subscription_data[metadata]', 'subscription_data[transfer_data][amount_percent]',
    'subscription_data[transfer_data][destination]', 'subscription_data[trial_period_days]', 'success_url', 'ui_mode',
  ], (ctx) => createCheckoutSession(emu, ctx));
  r.add('GET', '/v1/checkout/sessions/:id', [], ({ scope, params }) => scope.checkoutSessions.require(params.id));
  r.add('GET', '/v1/checkout/sessions', ['created', 'customer', 'ending_before', 'limit', 'starting_after', 'status', 'subscription'], ({ scope, p }) => {
    const customer = p.str('customer');
    const subscription = p.str('subscription');
    const status = p.str('status');
    const created = createdFilter(p);
    return pageOf(
      scope.checkoutSessions,
      p,
      '/v1/checkout/sessions',
      (s) => (!customer || s.customer === customer) && (!subscription || s.subscription === subscription) && (!status || s.status === status) && (!created || created(s.created)),
    );
  });
  r.add('GET', '/v1/checkout/sessions/:id/line_items', ['ending_before', 'limit', 'starting_after'], ({ scope, params, p }) => {
    scope.checkoutSessions.require(params.id);
    return pageOfArray(scope.checkoutLineItems.get(params.id) ?? [], p, `/v1/checkout/sessions/${params.id}/line_items`);
  });
  r.add('POST', '/v1/checkout/sessions/:id/expire', [], ({ scope, params }) => expireCheckoutSession(emu, scope, scope.checkoutSessions.require(params.id)));
}
