import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Stripe's webhook signature scheme: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, where each
 * v1 is HMAC-SHA256 of `<t>.<raw body>` keyed with the whole `whsec_...` secret. Any current secret
 * of the application may match any v1 (Stripe sends one v1 per active secret while one is rolled).
 * The timestamp is Stripe's wall-clock time of sending, checked against ours with a tolerance.
 * A match says which secret verified it.
 */
export type SignatureCheck = { ok: true; secret: string } | { ok: false; code: 'missing_signature' | 'malformed_signature' | 'stale_signature' | 'invalid_signature'; message: string };

export const INVALID_SIGNATURE_MESSAGE = 'No signature matches a webhook secret of this application.';

export function verifyStripeSignature(rawBody: Buffer, header: string | undefined, secrets: string[], toleranceSeconds: number, nowSeconds = Math.floor(Date.now() / 1000)): SignatureCheck {
  if (!header) return { ok: false, code: 'missing_signature', message: 'The Stripe-Signature header is missing.' };
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && value && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || signatures.length === 0) {
    return { ok: false, code: 'malformed_signature', message: 'The Stripe-Signature header has no timestamp or no v1 signature.' };
  }
  const prefix = `${timestamp}.`;
  const matched = secrets.find((secret) => {
    const expected = createHmac('sha256', secret).update(prefix).update(rawBody).digest();
    return signatures.some((candidate) => timingSafeEqual(candidate, expected));
  });
  if (matched === undefined) return { ok: false, code: 'invalid_signature', message: INVALID_SIGNATURE_MESSAGE };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    return { ok: false, code: 'stale_signature', message: `The signature timestamp is more than ${toleranceSeconds} s away from now.` };
  }
  return { ok: true, secret: matched };
}
