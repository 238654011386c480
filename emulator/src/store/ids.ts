// Stripe-looking ids: a type prefix and 24 base62 characters.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = prefix + '_';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i] % 62];
  return out;
}
