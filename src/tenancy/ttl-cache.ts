/**
 * A small time-bounded cache for the hot read paths (applications, merchants and API keys are read
 * on every request and change rarely). Writes invalidate their entries at once, in this process
 * and, through the database's notifications, in every other instance; the TTL bounds how long a
 * change can go unseen when a notification is lost.
 *
 * When an entry expires under load, one read refreshes it for everyone: the requests that come in
 * meanwhile get the expired value (for at most one more TTL) instead of each sending its own read
 * and all waiting for it. Without that, every TTL the lookup's p99 showed the fifty requests in
 * flight queueing behind fifty identical reads.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  private readonly refreshing = new Map<string, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    const now = Date.now();
    if (hit && hit.expires > now) return hit.value;
    const refresh = this.refreshing.get(key) ?? this.refresh(key, load);
    if (hit && hit.expires + this.ttlMs > now) {
      refresh.catch(() => undefined); // the next request after a failed refresh tries again
      return hit.value;
    }
    return refresh;
  }

  delete(key: string): void {
    this.entries.delete(key);
    this.refreshing.delete(key); // a read in flight began before the write: its value is not kept
  }

  clear(): void {
    this.entries.clear();
    this.refreshing.clear();
  }

  private refresh(key: string, load: () => Promise<V>): Promise<V> {
    const pending: Promise<V> = load().then(
      (value) => {
        if (this.refreshing.get(key) === pending) {
          this.refreshing.delete(key);
          if (!this.entries.has(key) && this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
          this.entries.set(key, { value, expires: Date.now() + this.ttlMs });
        }
        return value;
      },
      (error: unknown) => {
        if (this.refreshing.get(key) === pending) this.refreshing.delete(key);
        throw error;
      },
    );
    this.refreshing.set(key, pending);
    return pending;
  }
}
