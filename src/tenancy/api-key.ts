import { hash, randomBytes } from 'node:crypto';

/** Partner API keys: `psk_` + 32 random bytes. Only the SHA-256 hash is stored. */
export const API_KEY_PREFIX = 'psk_';

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, 12), hash: hashApiKey(key) };
}

/**
 * The hashes of the keys presented lately. A partner request hashes its key twice, for its request
 * limit (counted by the key's hash) and to verify it, and partners send the same few keys all day:
 * SHA-256 of each was 1.2 % of the lookup's CPU in a profile. At most MEMO_SIZE keys are kept, in
 * this process's memory only (never logged, never stored); the map starts afresh when full, so that
 * a caller sending made-up keys cannot grow it.
 */
const MEMO_SIZE = 256;
/** Keys are 48 characters; anything much longer is not one and is not remembered. */
const MEMO_MAX_KEY_LENGTH = 128;
const hashes = new Map<string, string>();

export function hashApiKey(key: string): string {
  let hashed = hashes.get(key);
  if (hashed === undefined) {
    hashed = hash('sha256', key, 'hex');
    if (key.length > MEMO_MAX_KEY_LENGTH) return hashed;
    if (hashes.size >= MEMO_SIZE) hashes.clear();
    hashes.set(key, hashed);
  }
  return hashed;
}

/** A webhook signing secret in Stripe's format, for applications whose endpoint secret is not given by Stripe (local mode). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}
