// The hosted checkout page's own API, which Stripe does not document and the SDK does not expose,
// but the Stripe CLI's checkout fixtures call (`stripe trigger checkout.session.completed`): read
// the page (`GET /v1/payment_pages/:session`), then confirm it with a payment method and the
// amount the page showed. Confirming pays the session as the emulator's checkout page does.
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import type { ApiRouter } from '../http/routes.js';
import { payCheckoutSession } from './checkout.js';

export function paymentPageRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('GET', '/v1/payment_pages/:id', [], ({ scope, params }) => scope.checkoutSessions.require(params.id));
  r.add('POST', '/v1/payment_pages/:id/confirm', ['expected_amount', 'payment_method'], ({ scope, params, p }) => {
    const session = scope.checkoutSessions.require(params.id);
    const pmId = p.reqStr('payment_method');
    const pm = scope.paymentMethods.require(pmId, 'payment_method');
    const card = scope.cards.get(pm.id);
    if (!card) throw errors.invalid(`The emulator pays checkout with cards only (got a \`${pm.type}\` payment method).`, 'payment_method');
    // The page refuses to charge an amount other than the one it showed (the session changed meanwhile).
    const expected = p.int('expected_amount');
    if (expected !== undefined && session.amount_total !== null && expected !== session.amount_total) {
      throw errors.invalid(`The expected amount (${expected}) does not match the session's amount_total (${session.amount_total}).`, 'expected_amount');
    }
    const billing = pm.billing_details;
    return payCheckoutSession(emu, scope, session, card.number, { email: billing.email ?? undefined, name: billing.name ?? undefined }).session;
  });
}
