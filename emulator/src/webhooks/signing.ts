// Stripe's webhook signature: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256("<t>.<body>")>`,
// keyed with the whole `whsec_…` string. Verifiable with `stripe.webhooks.constructEvent`.
import { createHmac } from 'node:crypto';

export function signatureHeader(payload: string, secrets: string[], timestamp = Math.floor(Date.now() / 1000)): string {
  const parts = [`t=${timestamp}`];
  for (const secret of secrets) {
    parts.push(`v1=${createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex')}`);
  }
  return parts.join(',');
}
