/**
 * What the audit trail keeps of a request's parameters and of a stored state: everything but
 * secrets. A field is dropped by its name (secrets, tokens, keys, signatures, passwords, idempotency
 * keys, which can name an intent) and any string is dropped by its look (Stripe and partner keys,
 * webhook signing secrets, JWTs), wherever it stands: a secret sent in a field nobody thought of is
 * still caught. Long strings, deep nesting and long arrays are cut so that a record stays small.
 */
export const REDACTED = '[redacted]';

const SECRET_NAME = /secret|token|password|passphrase|signature|authorization|cookie|idempotency|(^|_)key$|api_key/i;
const SECRET_VALUE = /(whsec_|sk_(test|live)_|rk_(test|live)_|psk_)[\w-]{16,}|eyJ[\w-]{4,}\.[\w-]{4,}\./;
/** Ids that end in `key` but are not secrets. */
const KEY_IDS = new Set(['lookup_key']);
const MAX_STRING = 500;
const MAX_ITEMS = 100;
const MAX_DEPTH = 6;

export function sanitize(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string') return SECRET_VALUE.test(value) ? REDACTED : value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return '[nested]';
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((item) => sanitize(item, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(value)) {
      if (field === undefined) continue;
      out[name] = SECRET_NAME.test(name) && !KEY_IDS.has(name) && typeof field !== 'number' && typeof field !== 'boolean' ? REDACTED : sanitize(field, depth + 1);
    }
    return out;
  }
  return String(value);
}

/** A sanitized object (never null), for the parameters column. */
export function sanitizeObject(value: unknown): Record<string, unknown> {
  const clean = sanitize(value);
  return clean && typeof clean === 'object' && !Array.isArray(clean) ? (clean as Record<string, unknown>) : {};
}
