// The hosted pages a person (or a test, with JSON) uses: checkout (pay with a test card,
// authenticate, expire), the billing portal (cancel, resume, change price, update the card)
// and the hosted invoice (pay). HTML forms post back and are redirected; JSON callers get JSON.
import type Stripe from 'stripe';
import { payInvoice, cancelSubscription, updateSubscription } from '../billing/subscriptions.js';
import type { Emulator } from '../emulator.js';
import { HttpResponse, type PlainContext } from '../http/context.js';
import { errors, StripeApiError } from '../http/errors.js';
import type { PlainRouter } from '../http/routes.js';
import { authenticateCheckoutSession, expireCheckoutSession, payCheckoutSession, type CheckoutResult } from '../resources/checkout.js';
import { updateWithEvent } from '../resources/common.js';
import { paymentMethodForCard } from '../resources/payment-methods.js';
import type { Scope } from '../store/scope.js';
import { cardSelect, esc, formatAmount, page } from './layout.js';

function scopeOf(emu: Emulator, id: string, kind: string): Scope {
  const scope = emu.pageIndex.get(id);
  if (!scope) throw errors.notFound(kind, id);
  return scope;
}

function successUrl(session: Stripe.Checkout.Session): string | null {
  return session.success_url?.replace('{CHECKOUT_SESSION_ID}', session.id) ?? null;
}

/** Runs a page action; JSON callers get the result or Stripe's error, browsers a redirect or the page with the error. */
function action(ctx: PlainContext, run: () => object, redirect: (result: object) => string, render: (error?: string) => string): HttpResponse {
  try {
    const result = run();
    return ctx.wantsJson ? HttpResponse.json(200, result) : HttpResponse.redirect(redirect(result));
  } catch (e) {
    if (!(e instanceof StripeApiError)) throw e;
    return ctx.wantsJson ? HttpResponse.json(e.status, e.toJSON()) : HttpResponse.html(render(e.message), e.status);
  }
}

function checkoutPage(emu: Emulator, id: string, error?: string): string {
  const scope = scopeOf(emu, id, 'checkout.session');
  const s = scope.checkoutSessions.require(id);
  const items = scope.checkoutLineItems.get(id) ?? [];
  const lines = items.map((li) => `<li>${esc(li.description)} × ${esc(li.quantity)}: ${esc(formatAmount(li.amount_total, li.currency))}</li>`).join('');
  let body = `<p>Session <code>${esc(s.id)}</code> — status <b>${esc(s.status)}</b></p><ul>${lines}</ul>`;
  if (error) body += `<p class="error">${esc(error)}</p>`;
  if (s.status === 'open' && s.subscription) {
    body += `<form method="post" action="/checkout/${esc(id)}/authenticate"><p>Your bank asks you to confirm this payment (3D Secure).</p>
<button name="result" value="success">Complete authentication</button><button name="result" value="fail">Fail authentication</button></form>`;
  } else if (s.status === 'open') {
    body += `<form method="post" action="/checkout/${esc(id)}/pay">
${s.customer || s.customer_email ? '' : '<label>Email <input name="email" type="email"></label><br>'}${cardSelect()}<br><button type="submit">Subscribe</button></form>
<form method="post" action="/checkout/${esc(id)}/expire"><button type="submit">Expire this session</button></form>
${s.cancel_url ? `<p><a href="${esc(s.cancel_url)}">Cancel and go back</a></p>` : ''}`;
  } else if (s.status === 'complete') {
    const url = successUrl(s);
    body += `<p>Thank you! Subscription <code>${esc(s.subscription)}</code>.</p>${url ? `<p><a href="${esc(url)}">Continue</a></p>` : ''}`;
  }
  return page('Checkout', body);
}

function portalPage(emu: Emulator, id: string, error?: string): string {
  const scope = scopeOf(emu, id, 'billing portal session');
  const session = scope.portalSessions.require(id);
  const subs = [...scope.subscriptions.values()].filter((s) => s.customer === session.customer && s.status !== 'canceled' && s.status !== 'incomplete_expired');
  const prices = [...scope.prices.values()].filter((p) => p.active && p.type === 'recurring');
  let body = `<p>Customer <code>${esc(session.customer)}</code></p>`;
  if (error) body += `<p class="error">${esc(error)}</p>`;
  for (const s of subs) {
    const item = s.items.data[0];
    body += `<section><h2>${esc(s.id)} — ${esc(s.status)}${s.cancel_at_period_end ? ' (cancels at period end)' : ''}</h2>
<p>Price <code>${esc(item.price.id)}</code> × ${esc(item.quantity)}; period ends ${esc(new Date(item.current_period_end * 1000).toISOString())}</p>
<form method="post" action="/portal/${esc(id)}/update"><input type="hidden" name="subscription" value="${esc(s.id)}">
<label>New price <select name="price">${prices.map((p) => `<option value="${esc(p.id)}">${esc(p.lookup_key ?? p.id)} ${esc(formatAmount(p.unit_amount, p.currency))}/${esc(p.recurring?.interval)}</option>`).join('')}</select></label>
<label>Quantity <input name="quantity" type="number" min="1" value="${esc(item.quantity)}"></label><button>Update plan</button></form>
${
  s.cancel_at_period_end
    ? `<form method="post" action="/portal/${esc(id)}/resume"><input type="hidden" name="subscription" value="${esc(s.id)}"><button>Renew subscription</button></form>`
    : `<form method="post" action="/portal/${esc(id)}/cancel"><input type="hidden" name="subscription" value="${esc(s.id)}"><button>Cancel at period end</button></form>`
}</section>`;
  }
  body += `<form method="post" action="/portal/${esc(id)}/payment_method">${cardSelect()}<button>Update payment method</button></form>`;
  if (session.return_url) body += `<p><a href="${esc(session.return_url)}">Return</a></p>`;
  return page('Billing portal', body);
}

function invoicePage(emu: Emulator, id: string, error?: string): string {
  const scope = scopeOf(emu, id, 'invoice');
  const inv = scope.invoices.require(id);
  let body = `<p>Invoice <code>${esc(inv.number ?? inv.id)}</code> — <b>${esc(inv.status)}</b>, amount due ${esc(formatAmount(inv.amount_due, inv.currency))}</p>`;
  if (error) body += `<p class="error">${esc(error)}</p>`;
  if (inv.status === 'open') body += `<form method="post" action="/invoice/${esc(id)}/pay">${cardSelect()}<button>Pay</button></form>`;
  return page('Invoice', body);
}

function portalSub(scope: Scope, session: Stripe.BillingPortal.Session, subscriptionId: string): Stripe.Subscription {
  const sub = scope.subscriptions.require(subscriptionId, 'subscription');
  if (sub.customer !== session.customer) throw errors.notFound('subscription', subscriptionId, 'subscription');
  return sub;
}

function checkoutResult(r: CheckoutResult): object {
  return { status: r.status, session: r.session, ...(r.status === 'requires_action' ? { authenticate_url: `/checkout/${r.session.id}/authenticate` } : {}) };
}

export function pageRoutes(emu: Emulator, r: PlainRouter): void {
  r.add('GET', '/checkout/:id', ({ params }) => HttpResponse.html(checkoutPage(emu, params.id)));
  r.add('POST', '/checkout/:id/pay', (ctx) => {
    const scope = scopeOf(emu, ctx.params.id, 'checkout.session');
    const session = scope.checkoutSessions.require(ctx.params.id);
    return action(
      ctx,
      () => checkoutResult(payCheckoutSession(emu, scope, session, ctx.p.reqStr('card'), { email: ctx.p.str('email'), name: ctx.p.str('name') })),
      () => (session.status === 'complete' ? (successUrl(session) ?? `/checkout/${session.id}`) : `/checkout/${session.id}`),
      (error) => checkoutPage(emu, session.id, error),
    );
  });
  r.add('POST', '/checkout/:id/authenticate', (ctx) => {
    const scope = scopeOf(emu, ctx.params.id, 'checkout.session');
    const session = scope.checkoutSessions.require(ctx.params.id);
    return action(
      ctx,
      () => checkoutResult(authenticateCheckoutSession(emu, scope, session, (ctx.p.str('result') ?? 'success') === 'success')),
      () => successUrl(session) ?? `/checkout/${session.id}`,
      (error) => checkoutPage(emu, session.id, error),
    );
  });
  r.add('POST', '/checkout/:id/expire', (ctx) => {
    const scope = scopeOf(emu, ctx.params.id, 'checkout.session');
    const session = scope.checkoutSessions.require(ctx.params.id);
    return action(
      ctx,
      () => expireCheckoutSession(emu, scope, session),
      () => session.cancel_url ?? `/checkout/${session.id}`,
      (error) => checkoutPage(emu, session.id, error),
    );
  });

  r.add('GET', '/portal/:id', ({ params }) => HttpResponse.html(portalPage(emu, params.id)));
  const portalAction = (path: string, run: (scope: Scope, session: Stripe.BillingPortal.Session, ctx: PlainContext) => object) =>
    r.add('POST', `/portal/:id/${path}`, (ctx) => {
      const scope = scopeOf(emu, ctx.params.id, 'billing portal session');
      const session = scope.portalSessions.require(ctx.params.id);
      return action(ctx, () => run(scope, session, ctx), () => `/portal/${session.id}`, (error) => portalPage(emu, session.id, error));
    });
  portalAction('cancel', (scope, session, { p }) => {
    const sub = portalSub(scope, session, p.reqStr('subscription'));
    // The portal's default cancellation mode is at period end; `immediately=true` cancels now.
    if (p.bool('immediately')) return cancelSubscription(emu, scope, sub, { reason: 'cancellation_requested' });
    return updateSubscription(emu, scope, sub, { cancelAtPeriodEnd: true, prorationBehavior: 'none' });
  });
  portalAction('resume', (scope, session, { p }) =>
    updateSubscription(emu, scope, portalSub(scope, session, p.reqStr('subscription')), { cancelAtPeriodEnd: false, prorationBehavior: 'none' }),
  );
  portalAction('update', (scope, session, { p }) => {
    const sub = portalSub(scope, session, p.reqStr('subscription'));
    const price = scope.prices.require(p.reqStr('price'), 'price');
    return updateSubscription(emu, scope, sub, {
      items: [{ id: sub.items.data[0].id, price, quantity: p.int('quantity') ?? sub.items.data[0].quantity ?? 1 }],
      prorationBehavior: 'create_prorations',
    });
  });
  portalAction('payment_method', (scope, session, { p }) => {
    const card = paymentMethodForCard(scope, p.reqStr('card'));
    const customer = scope.customers.require(session.customer);
    updateWithEvent(emu, scope, 'customer.updated', customer, () => {
      customer.invoice_settings = { ...customer.invoice_settings, default_payment_method: card.id };
    });
    // The portal also makes the new card the default of the customer's subscriptions.
    for (const sub of scope.subscriptions.values()) {
      if (sub.customer === customer.id && sub.status !== 'canceled' && sub.default_payment_method) {
        updateSubscription(emu, scope, sub, { defaultPaymentMethod: card.id, prorationBehavior: 'none' });
      }
    }
    return customer;
  });

  r.add('GET', '/invoice/:id', ({ params }) => HttpResponse.html(invoicePage(emu, params.id)));
  r.add('POST', '/invoice/:id/pay', (ctx) => {
    const scope = scopeOf(emu, ctx.params.id, 'invoice');
    const invoice = scope.invoices.require(ctx.params.id);
    return action(
      ctx,
      () => {
        const card = paymentMethodForCard(scope, ctx.p.reqStr('card'));
        const outcome = payInvoice(emu, scope, invoice, card.id, true);
        if (outcome.kind === 'declined') throw errors.card(outcome.declineCode, outcome.message);
        if (outcome.kind === 'requires_action') throw errors.card('authentication_required', 'This payment requires authentication.');
        return invoice;
      },
      () => `/invoice/${invoice.id}`,
      (error) => invoicePage(emu, invoice.id, error),
    );
  });
}
