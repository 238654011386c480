// The invoice's side of a payment made on its PaymentIntent by the customer (the client-side
// confirmation of `default_incomplete`, or 3D Secure on the authentication page): the attempt is
// recorded on the invoice, and a paid invoice makes its subscription active, as an automatic
// payment does (billing/invoices.ts, subscription-renewal.ts).
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import type { Scope } from '../store/scope.js';
import type { ChargeOutcome } from './cards.js';
import { recordInvoiceAttempt } from './invoices.js';
import { invoiceIdOfIntent } from './payment-intents.js';
import { invoicePaid } from './subscription-renewal.js';

export function afterIntentAttempt(emu: Emulator, scope: Scope, pi: Stripe.PaymentIntent, paymentMethod: string | null, outcome: ChargeOutcome): void {
  const invoiceId = invoiceIdOfIntent(pi);
  const invoice = invoiceId ? scope.invoices.get(invoiceId) : undefined;
  if (!invoice || invoice.status !== 'open') return;
  recordInvoiceAttempt(emu, scope, invoice, paymentMethod, outcome, invoice.next_payment_attempt);
  if (outcome.kind !== 'succeeded') return;
  const subId = invoice.parent?.subscription_details?.subscription;
  const sub = typeof subId === 'string' ? scope.subscriptions.get(subId) : undefined;
  if (sub && sub.latest_invoice === invoice.id) invoicePaid(emu, scope, sub);
}
