// Stripe's test cards and test PaymentMethod ids, and what a charge on each does.
// https://docs.stripe.com/testing

export type ChargeOutcome =
  | { kind: 'succeeded' }
  | { kind: 'declined'; declineCode: string; message: string }
  | { kind: 'requires_action' };

export interface CardInfo {
  id: string;
  number: string;
  brand: string;
  last4: string;
  /** Authentication only on the first (on-session) payment, like 4000002500003155. */
  authenticateOnce: boolean;
  authenticated: boolean;
}

const DECLINES: Record<string, { declineCode: string; message: string }> = {
  '4000000000000002': { declineCode: 'generic_decline', message: 'Your card was declined.' },
  '4000000000000341': { declineCode: 'generic_decline', message: 'Your card was declined.' },
  '4000000000009995': { declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  '4000000000000069': { declineCode: 'expired_card', message: 'Your card has expired.' },
};

const ALWAYS_AUTH = new Set(['4000002760003184', '4000008260003178']);
const AUTH_ONCE = new Set(['4000002500003155']);

/** Test PaymentMethod ids accepted on API calls, mapped to their card numbers. */
export const TEST_PAYMENT_METHODS: Record<string, string> = {
  pm_card_visa: '4242424242424242',
  pm_card_mastercard: '5555555555554444',
  pm_card_amex: '378282246310005',
  pm_card_chargeDeclined: '4000000000000002',
  pm_card_visa_chargeDeclined: '4000000000000002',
  pm_card_chargeCustomerFail: '4000000000000341',
  pm_card_chargeDeclinedInsufficientFunds: '4000000000009995',
  pm_card_chargeDeclinedExpiredCard: '4000000000000069',
  pm_card_authenticationRequired: '4000002760003184',
  pm_card_authenticationRequiredOnSetup: '4000002500003155',
  pm_card_threeDSecure2Required: '4000000000003220',
};

export function isKnownCard(number: string): boolean {
  return /^\d{13,19}$/.test(number);
}

function brandOf(number: string): string {
  if (number.startsWith('4')) return 'visa';
  if (number.startsWith('5')) return 'mastercard';
  if (number.startsWith('3')) return 'amex';
  return 'unknown';
}

export function cardInfo(id: string, number: string): CardInfo {
  return {
    id,
    number,
    brand: brandOf(number),
    last4: number.slice(-4),
    authenticateOnce: AUTH_ONCE.has(number),
    authenticated: false,
  };
}

/** What charging this card does. `onSession` marks a payment the customer is present for. */
export function chargeOutcome(card: CardInfo | undefined, onSession: boolean): ChargeOutcome {
  if (!card) return { kind: 'declined', declineCode: 'no_payment_method', message: 'The customer has no default payment method.' };
  const decline = DECLINES[card.number];
  if (decline) return { kind: 'declined', ...decline };
  if (ALWAYS_AUTH.has(card.number) || card.number === '4000000000003220') return { kind: 'requires_action' };
  // 3155 wants 3DS until it has been authenticated once; after that, off-session renewals go through.
  if (card.authenticateOnce && !card.authenticated) return { kind: 'requires_action' };
  void onSession;
  return { kind: 'succeeded' };
}
