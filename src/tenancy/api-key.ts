import { hash, randomBytes } from 'node:crypto';

/** Partner API keys: `psk_` + 32 random bytes. Only the SHA-256 hash is stored. */
export const API_KEY_PREFIX = 'psk_';

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, 12), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** A webhook signing secret in Stripe's format, for applications whose endpoint secret is not given by Stripe (local mode). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}
