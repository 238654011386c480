// The hosted pages a person (or a test, with JSON) uses: checkout (pay with a test card,
// authenticate, expire), the billing portal (cancel, resume, change price, update the card)
// and the hosted invoice (pay). HTML forms post back and are redirected; JSON callers get JSON.
import type Stripe from 'stripe';
import { payInvoice, cancelSubscription, updateSubscription } from '../billing/subscriptions.js';
import type { Emulator } from '../emulator.js';
import { HttpResponse, type PlainContext } from '../http/context.js';
import { errors, StripeApiError } from '../http/errors.js';
import type { PlainRouter } from '../http/routes.js';
import { awaitsAuthentication } from '../resources/checkout-payments.js';
import { authenticateCheckoutSession, expireCheckoutSession, payCheckoutSession, type CheckoutResult } from '../resources/checkout.js';
import { updateWithEvent } from '../resources/common.js';
import { attachPaymentMethod, paymentMethodForCard } from '../resources/payment-methods.js';
import type { Scope } from '../store/scope.js';
import { cardSelect, esc, formatAmount, formatDate, page, pickLang, TEXT, type Lang } from './layout.js';

function scopeOf(emu: Emulator, id: string, kind: string): Scope {
  const scope = emu.pageIndex.get(id);
  if (!scope) throw errors.notFound(kind, id);
  return scope;
}

function successUrl(session: Stripe.Checkout.Session): string | null {
  return session.success_url?.replace('{CHECKOUT_SESSION_ID}', session.id) ?? null;
}

/** Runs a page action; JSON callers get the result or Stripe's error, browsers a redirect or the page with the error. */
export function action(ctx: PlainContext, run: () => object, redirect: (result: object) => string, render: (error?: string) => string): HttpResponse {
  try {
    const result = run();
    return ctx.wantsJson ? HttpResponse.json(200, result) : HttpResponse.redirect(redirect(result));
  } catch (e) {
    if (!(e instanceof StripeApiError)) throw e;
    return ctx.wantsJson ? HttpResponse.json(e.status, e.toJSON()) : HttpResponse.html(render(e.message), e.status);
  }
}

/** `?lang=xx` to carry the page's language through its forms and redirects. */
function withLang(path: string, lang: Lang): string {
  return `${path}${path.includes('?') ? '&' : '?'}lang=${lang}`;
}

/** "Demo Plan", or the price's nickname or id when its product is unknown. */
function productName(scope: Scope, price: Stripe.Price): string {
  const product = typeof price.product === 'string' ? scope.products.get(price.product) : price.product;
  return (product && 'name' in product ? product.name : null) ?? price.nickname ?? price.id;
}

/** "¥1,000 per month" */
function priceLine(price: Stripe.Price, amount: number | null, lang: Lang): string {
  const money = formatAmount(amount, price.currency, lang);
  return price.recurring ? `${money} ${TEXT[lang].perInterval(price.recurring.interval, price.recurring.interval_count)}` : money;
}

function checkoutPage(emu: Emulator, id: string, lang: Lang, error?: string): string {
  const t = TEXT[lang];
  const scope = scopeOf(emu, id, 'checkout.session');
  const s = scope.checkoutSessions.require(id);
  const items = scope.checkoutLineItems.get(id) ?? [];
  const lines = items
    .map((li) => {
      const name = li.description ?? (li.price ? productName(scope, li.price) : '');
      const quantity = li.quantity && li.quantity > 1 ? ` × ${esc(li.quantity)}` : '';
      const amount = li.price ? priceLine(li.price, li.amount_total, lang) : formatAmount(li.amount_total, li.currency, lang);
      return `<li><b>${esc(name)}</b>${quantity}<br><span class="amount">${esc(amount)}</span></li>`;
    })
    .join('');
  let body = `<ul class="items">${lines}</ul>`;
  if (error) body += `<p class="error">${esc(error)}</p>`;
  if (s.status === 'open' && (s.subscription || awaitsAuthentication(scope, s))) {
    body += `<form method="post" action="${esc(withLang(`/checkout/${id}/authenticate`, lang))}"><p>${esc(t.authenticate)}</p>
<button name="result" value="success">${esc(t.authenticateOk)}</button><button name="result" value="fail">${esc(t.authenticateFail)}</button></form>`;
  } else if (s.status === 'open') {
    body += `<form method="post" action="${esc(withLang(`/checkout/${id}/pay`, lang))}">
${s.customer || s.customer_email ? '' : `<label>${esc(t.email)} <input name="email" type="email"></label><br>`}${cardSelect(lang)}<br><button type="submit">${esc(s.mode === 'payment' ? t.pay : s.mode === 'setup' ? t.saveCard : t.subscribe)}</button></form>
<form method="post" action="${esc(withLang(`/checkout/${id}/expire`, lang))}"><button type="submit">${esc(t.expire)}</button></form>
${s.cancel_url ? `<p><a href="${esc(s.cancel_url)}">${esc(t.cancelAndReturn)}</a></p>` : ''}`;
  } else if (s.status === 'complete') {
    const url = successUrl(s);
    body += `<p>${esc(t.thanks)}</p>${url ? `<p><a href="${esc(url)}">${esc(t.continue)}</a></p>` : ''}`;
  } else {
    body += `<p>${esc(t.expired)}</p>${s.cancel_url ? `<p><a href="${esc(s.cancel_url)}">${esc(t.back)}</a></p>` : ''}`;
  }
  body += `<p class="muted">${esc(t.reference)}: ${esc(s.id)} (${esc(t.status[s.status ?? ''] ?? s.status)})</p>`;
  return page(lang, t.checkout, body);
}

function portalPage(emu: Emulator, id: string, lang: Lang, error?: string): string {
  const t = TEXT[lang];
  const scope = scopeOf(emu, id, 'billing portal session');
  const session = scope.portalSessions.require(id);
  const subs = [...scope.subscriptions.values()].filter((s) => s.customer === session.customer && s.status !== 'canceled' && s.status !== 'incomplete_expired');
  const prices = [...scope.prices.values()].filter((p) => p.active && p.type === 'recurring');
  const customer = scope.customers.get(String(session.customer));
  let body = `<p>${esc(t.customer)}: ${esc(customer?.name || customer?.email || session.customer)}</p>`;
  if (error) body += `<p class="error">${esc(error)}</p>`;
  if (subs.length === 0) body += `<p>${esc(t.noSubscriptions)}</p>`;
  for (const s of subs) {
    const item = s.items.data[0];
    const status = `${t.status[s.status] ?? s.status}${s.cancel_at_period_end ? ` (${t.cancelsAtPeriodEnd})` : ''}`;
    body += `<section><h2>${esc(productName(scope, item.price))} — ${esc(status)}</h2>
<p><span class="amount">${esc(priceLine(item.price, (item.price.unit_amount ?? 0) * (item.quantity ?? 1), lang))}</span>${(item.quantity ?? 1) > 1 ? ` (${esc(t.quantity)} ${esc(item.quantity)})` : ''}<br>${esc(t.renews(formatDate(item.current_period_end, lang)))}</p>
<form method="post" action="${esc(withLang(`/portal/${id}/update`, lang))}"><input type="hidden" name="subscription" value="${esc(s.id)}">
<label>${esc(t.newPlan)} <select name="price">${prices
      .map((p) => `<option value="${esc(p.id)}"${p.id === item.price.id ? ' selected' : ''}>${esc(productName(scope, p))} — ${esc(priceLine(p, p.unit_amount, lang))}</option>`)
      .join('')}</select></label>
<label>${esc(t.quantity)} <input name="quantity" type="number" min="1" value="${esc(item.quantity)}"></label><button>${esc(t.updatePlan)}</button></form>
${
  s.cancel_at_period_end
    ? `<form method="post" action="${esc(withLang(`/portal/${id}/resume`, lang))}"><input type="hidden" name="subscription" value="${esc(s.id)}"><button>${esc(t.resume)}</button></form>`
    : `<form method="post" action="${esc(withLang(`/portal/${id}/cancel`, lang))}"><input type="hidden" name="subscription" value="${esc(s.id)}"><button>${esc(t.cancel)}</button></form>`
}<p class="muted">${esc(t.reference)}: ${esc(s.id)}</p></section>`;
  }
  body += `<form method="post" action="${esc(withLang(`/portal/${id}/payment_method`, lang))}">${cardSelect(lang)}<button>${esc(t.updateCard)}</button></form>`;
  if (session.return_url) body += `<p><a href="${esc(session.return_url)}">${esc(t.back)}</a></p>`;
  return page(lang, t.portal, body);
}

function invoicePage(emu: Emulator, id: string, lang: Lang, error?: string): string {
  const t = TEXT[lang];
  const scope = scopeOf(emu, id, 'invoice');
  const inv = scope.invoices.require(id);
  let body = `<p>${esc(t.invoice)} ${esc(inv.number ?? inv.id)} — <b>${esc(t.status[inv.status ?? ''] ?? inv.status)}</b></p>
<p>${esc(t.amountDue)}: <span class="amount">${esc(formatAmount(inv.amount_due, inv.currency, lang))}</span></p>`;
  if (error) body += `<p class="error">${esc(error)}</p>`;
  if (inv.status === 'open') body += `<form method="post" action="${esc(withLang(`/invoice/${id}/pay`, lang))}">${cardSelect(lang)}<button>${esc(t.pay)}</button></form>`;
  return page(lang, t.invoice, body);
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
  /** The page's language: `?lang=`, else the session's locale, else the browser's. */
  const langOf = (ctx: PlainContext, locale?: string | null) => pickLang(ctx.p.str('lang'), locale, ctx.acceptLanguage);
  const checkoutLocale = (id: string) => emu.pageIndex.get(id)?.checkoutSessions.get(id)?.locale;
  const portalLocale = (id: string) => emu.pageIndex.get(id)?.portalSessions.get(id)?.locale;

  r.add('GET', '/checkout/:id', (ctx) => HttpResponse.html(checkoutPage(emu, ctx.params.id, langOf(ctx, checkoutLocale(ctx.params.id)))));
  r.add('POST', '/checkout/:id/pay', (ctx) => {
    const scope = scopeOf(emu, ctx.params.id, 'checkout.session');
    const session = scope.checkoutSessions.require(ctx.params.id);
    const lang = langOf(ctx, session.locale);
    return action(
      ctx,
      () => checkoutResult(payCheckoutSession(emu, scope, session, ctx.p.reqStr('card'), { email: ctx.p.str('email'), name: ctx.p.str('name') })),
      () => (session.status === 'complete' ? (successUrl(session) ?? withLang(`/checkout/${session.id}`, lang)) : withLang(`/checkout/${session.id}`, lang)),
      (error) => checkoutPage(emu, session.id, lang, error),
    );
  });
  r.add('POST', '/checkout/:id/authenticate', (ctx) => {
    const scope = scopeOf(emu, ctx.params.id, 'checkout.session');
    const session = scope.checkoutSessions.require(ctx.params.id);
    const lang = langOf(ctx, session.locale);
    return action(
      ctx,
      () => checkoutResult(authenticateCheckoutSession(emu, scope, session, (ctx.p.str('result') ?? 'success') === 'success')),
      () => successUrl(session) ?? withLang(`/checkout/${session.id}`, lang),
      (error) => checkoutPage(emu, session.id, lang, error),
    );
  });
  r.add('POST', '/checkout/:id/expire', (ctx) => {
    const scope = scopeOf(emu, ctx.params.id, 'checkout.session');
    const session = scope.checkoutSessions.require(ctx.params.id);
    const lang = langOf(ctx, session.locale);
    return action(
      ctx,
      () => expireCheckoutSession(emu, scope, session),
      () => session.cancel_url ?? withLang(`/checkout/${session.id}`, lang),
      (error) => checkoutPage(emu, session.id, lang, error),
    );
  });

  r.add('GET', '/portal/:id', (ctx) => HttpResponse.html(portalPage(emu, ctx.params.id, langOf(ctx, portalLocale(ctx.params.id)))));
  const portalAction = (path: string, run: (scope: Scope, session: Stripe.BillingPortal.Session, ctx: PlainContext) => object) =>
    r.add('POST', `/portal/:id/${path}`, (ctx) => {
      const scope = scopeOf(emu, ctx.params.id, 'billing portal session');
      const session = scope.portalSessions.require(ctx.params.id);
      const lang = langOf(ctx, session.locale);
      return action(ctx, () => run(scope, session, ctx), () => withLang(`/portal/${session.id}`, lang), (error) => portalPage(emu, session.id, lang, error));
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
    const customer = scope.customers.require(session.customer);
    // The portal saves the new card to the customer (`payment_method.attached`) before making it the default.
    const card = attachPaymentMethod(emu, scope, paymentMethodForCard(emu, scope, p.reqStr('card')), customer.id);
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

  r.add('GET', '/invoice/:id', (ctx) => HttpResponse.html(invoicePage(emu, ctx.params.id, langOf(ctx))));
  r.add('POST', '/invoice/:id/pay', (ctx) => {
    const scope = scopeOf(emu, ctx.params.id, 'invoice');
    const invoice = scope.invoices.require(ctx.params.id);
    const lang = langOf(ctx);
    return action(
      ctx,
      () => {
        const card = paymentMethodForCard(emu, scope, ctx.p.reqStr('card'));
        const outcome = payInvoice(emu, scope, invoice, card.id, true);
        if (outcome.kind === 'declined') throw errors.card(outcome.declineCode, outcome.message);
        if (outcome.kind === 'requires_action') throw errors.card('authentication_required', 'This payment requires authentication.');
        return invoice;
      },
      () => withLang(`/invoice/${invoice.id}`, lang),
      (error) => invoicePage(emu, invoice.id, lang, error),
    );
  });
}
