// Payment methods are only test cards here: Stripe's `pm_card_*` ids, or a card entered on a
// hosted page (which becomes a new `pm_…`). Only what a charge needs is kept (see billing/cards.ts).
import { cardInfo, TEST_PAYMENT_METHODS, type CardInfo } from '../billing/cards.js';
import { errors } from '../http/errors.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';

/** A card number → a new payment method id in the scope. */
export function paymentMethodForCard(scope: Scope, number: string): CardInfo {
  const digits = number.replace(/[\s-]/g, '');
  if (!/^\d{13,19}$/.test(digits)) throw errors.card('invalid_number', 'Your card number is incorrect.', { code: 'incorrect_number' });
  const card = cardInfo(newId('pm'), digits);
  scope.cards.set(card.id, card);
  return card;
}

/** Accepts Stripe's `pm_card_*` test ids (each use makes a fresh pm, as Stripe does) and known pm ids. */
export function resolvePaymentMethod(scope: Scope, id: string, param: string): string {
  const testNumber = TEST_PAYMENT_METHODS[id];
  if (testNumber) return paymentMethodForCard(scope, testNumber).id;
  if (scope.cards.has(id)) return id;
  throw errors.notFound('PaymentMethod', id, param);
}
