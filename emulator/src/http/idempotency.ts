// Stripe's idempotency keys: the first response to a key is kept (24 h) and replayed for a retry
// with the same parameters; other parameters with the same key are an idempotency_error.
// Keys are scoped per account, as in Stripe. 5xx/429 answers are not kept: the request never ran.
import { errors } from './errors.js';

export interface StoredResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
}

interface Entry {
  fingerprint: string;
  storedAt: number;
  response?: StoredResponse;
}

const TTL_MS = 24 * 3600 * 1000;
const MAX_ENTRIES = 200_000;

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  /** Returns a stored response to replay, or undefined to run the request. */
  begin(scopeKey: string, key: string, fingerprint: string): StoredResponse | undefined {
    const id = `${scopeKey} ${key}`;
    const entry = this.entries.get(id);
    if (entry && Date.now() - entry.storedAt < TTL_MS) {
      if (entry.fingerprint !== fingerprint) {
        throw errors.idempotency(
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        );
      }
      if (!entry.response) {
        throw errors.idempotency(
          `There is currently another in-progress request using this Stripe-Idempotency-Key (${key}). Please try again later.`,
          'idempotency_key_in_use',
          409,
        );
      }
      return entry.response;
    }
    this.entries.set(id, { fingerprint, storedAt: Date.now() });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return undefined;
  }

  finish(scopeKey: string, key: string, response: StoredResponse): void {
    const id = `${scopeKey} ${key}`;
    const entry = this.entries.get(id);
    if (!entry) return;
    if (response.status >= 500 || response.status === 429) this.entries.delete(id);
    else entry.response = response;
  }

  clear(): void {
    this.entries.clear();
  }
}
