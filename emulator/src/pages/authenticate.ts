// The 3D Secure page of a PaymentIntent or SetupIntent in requires_action: its `next_action`
// (redirect_to_url.url, or use_stripe_sdk.stripe_js) points here. "Complete" succeeds the payment
// (or setup), "Fail" fails it, as Stripe's test authentication page does; a browser then returns
// to the `return_url` with Stripe's query parameters, a JSON caller gets the intent.
import type Stripe from 'stripe';
import { afterIntentAttempt } from '../billing/invoice-payments.js';
import { authenticatePayment } from '../billing/payment-intents.js';
import { authenticateSetup } from '../billing/setup-intents.js';
import type { Emulator } from '../emulator.js';
import { HttpResponse, type PlainContext } from '../http/context.js';
import { errors } from '../http/errors.js';
import type { PlainRouter } from '../http/routes.js';
import { declined } from '../resources/payments.js';
import { setupFailed } from '../resources/setup-intents.js';
import type { Scope } from '../store/scope.js';
import { action } from './hosted.js';
import { esc, formatAmount, page, pickLang, TEXT, type Lang } from './layout.js';

type Intent = Stripe.PaymentIntent | Stripe.SetupIntent;

function intentOf(emu: Emulator, id: string): { scope: Scope; intent: Intent } {
  const scope = emu.pageIndex.get(id);
  const intent = id.startsWith('seti_') ? scope?.setupIntents.get(id) : scope?.paymentIntents.get(id);
  if (!scope || !intent) throw errors.notFound(id.startsWith('seti_') ? 'setup_intent' : 'payment_intent', id);
  return { scope, intent };
}

function authenticatePage(emu: Emulator, id: string, lang: Lang, error?: string): string {
  const t = TEXT[lang];
  const { intent } = intentOf(emu, id);
  let body = intent.object === 'payment_intent' ? `<p><span class="amount">${esc(formatAmount(intent.amount, intent.currency, lang))}</span></p>` : '';
  if (error) body += `<p class="error">${esc(error)}</p>`;
  if (intent.status === 'requires_action') {
    body += `<form method="post" action="/authenticate/${esc(id)}?lang=${lang}"><p>${esc(t.authenticate)}</p>
<button name="result" value="success">${esc(t.authenticateOk)}</button><button name="result" value="fail">${esc(t.authenticateFail)}</button></form>`;
  }
  body += `<p class="muted">${esc(t.reference)}: ${esc(id)} (${esc(intent.status)})</p>`;
  return page(lang, '3D Secure', body);
}

/** Where the browser goes after the answer: the return_url with Stripe's parameters, else this page. */
function returnTo(intent: Intent, returnUrl: string | null, lang: Lang): string {
  if (!returnUrl) return `/authenticate/${intent.id}?lang=${lang}`;
  const kind = intent.object === 'payment_intent' ? 'payment_intent' : 'setup_intent';
  const url = new URL(returnUrl);
  url.searchParams.set(kind, intent.id);
  url.searchParams.set(`${kind}_client_secret`, intent.client_secret ?? '');
  url.searchParams.set('redirect_status', intent.status === 'succeeded' || intent.status === 'requires_capture' ? 'succeeded' : 'failed');
  return url.toString();
}

export function authenticationRoutes(emu: Emulator, r: PlainRouter): void {
  r.add('GET', '/authenticate/:id', (ctx) => HttpResponse.html(authenticatePage(emu, ctx.params.id, pickLang(ctx.p.str('lang'), null, ctx.acceptLanguage))));
  r.add('POST', '/authenticate/:id', (ctx: PlainContext) => {
    const { scope, intent } = intentOf(emu, ctx.params.id);
    const lang = pickLang(ctx.p.str('lang'), null, ctx.acceptLanguage);
    const returnUrl = intent.next_action?.redirect_to_url?.return_url ?? null;
    const success = (ctx.p.str('result') ?? 'success') === 'success';
    return action(
      ctx,
      () => {
        if (intent.object === 'setup_intent') {
          if (authenticateSetup(emu, scope, intent, success) === 'failed') throw setupFailed(intent);
          return intent;
        }
        const pm = typeof intent.payment_method === 'string' ? intent.payment_method : null;
        const outcome = authenticatePayment(emu, scope, intent, success);
        afterIntentAttempt(emu, scope, intent, pm, outcome);
        if (outcome.kind !== 'succeeded') throw declined(intent);
        return intent;
      },
      () => returnTo(intent, returnUrl, lang),
      (error) => authenticatePage(emu, intent.id, lang, error),
    );
  });
}
