/** How a SharedStatements queue forms its statements. */
export interface SharedStatementOptions<I> {
  /** How many statements may be on their way at once; what arrives while they all are waits for the next one. */
  inFlight: number;
  /** The most items one statement carries. */
  maxItems: number;
  /** An item's size, and the most one statement carries (it always carries at least one item). */
  weight?: (item: I) => number;
  maxWeight?: number;
  /** Items of one key never share a statement: a later one waits for the next (a row can be written once per statement). */
  key?: (item: I) => string;
  /**
   * Whether the items of a failed batch are sent again one by one (default: always). Not after a
   * lost connection: each alone would fail the same way, one after another, while the others wait.
   */
  isolate?: (error: unknown) => boolean;
}

interface Queued<I, O> {
  item: I;
  resolve(outcome: O): void;
  reject(error: unknown): void;
}

/**
 * Concurrent single-row writes sharing statements. `send` writes a batch in one statement and
 * answers one outcome per item, in order. Under load that is one round trip, one statement and
 * one commit for many requests' rows instead of one each; a lone item still leaves at once (when
 * fewer than `inFlight` statements are on their way), so it waits for no timer.
 *
 * A batch that fails is sent again item by item before anyone is told: an item the database
 * refuses fails only its own caller, never the neighbours that happened to share its statement
 * (unless `isolate` says the error is not the items': then each caller sees it, as it would have alone).
 */
export class SharedStatements<I, O> {
  private readonly queued: Queued<I, O>[] = [];
  private sending = 0;

  constructor(
    private readonly send: (batch: I[]) => Promise<O[]>,
    private readonly options: SharedStatementOptions<I>,
  ) {}

  /** How many items wait for a statement (those on their way not counted). */
  get waiting(): number {
    return this.queued.length;
  }

  /** Writes `item` in the next statement that has room; its outcome. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.sending < this.options.inFlight && this.queued.length > 0) {
      const batch = this.take();
      this.sending += 1;
      void this.write(batch).finally(() => {
        this.sending -= 1;
        this.pump();
      });
    }
  }

  /** The next batch, in arrival order, within the limits; an item whose key is in it already stays queued. */
  private take(): Queued<I, O>[] {
    const { maxItems, weight, maxWeight = Infinity, key } = this.options;
    if (!key && !weight) return this.queued.splice(0, maxItems);
    const batch: Queued<I, O>[] = [];
    const keys = new Set<string>();
    let total = 0;
    let i = 0;
    while (i < this.queued.length && batch.length < maxItems) {
      const entry = this.queued[i]!;
      const w = weight ? weight(entry.item) : 0;
      if (batch.length > 0 && total + w > maxWeight) break;
      const k = key?.(entry.item);
      if (k !== undefined && keys.has(k)) {
        i++;
        continue;
      }
      if (k !== undefined) keys.add(k);
      total += w;
      batch.push(entry);
      this.queued.splice(i, 1);
    }
    return batch;
  }

  private async write(batch: Queued<I, O>[]): Promise<void> {
    try {
      const outcomes = await this.send(batch.map((q) => q.item));
      batch.forEach((q, i) => q.resolve(outcomes[i]!));
    } catch (error) {
      if (batch.length === 1 || !(this.options.isolate?.(error) ?? true)) {
        for (const q of batch) q.reject(error);
        return;
      }
      for (const q of batch) {
        await this.send([q.item]).then(
          ([outcome]) => q.resolve(outcome!),
          (alone: unknown) => q.reject(alone),
        );
      }
    }
  }
}

/**
 * SharedStatements by group: only the items of one group share a statement (those of one
 * application, say, whose statement has the application as a parameter). A group's statements are
 * written by the `send` given with its first item.
 */
export class SharedStatementGroups<I, O> {
  private readonly groups = new Map<string, SharedStatements<I, O>>();

  constructor(private readonly options: SharedStatementOptions<I>) {}

  /** How many items of all groups wait for a statement. */
  get waiting(): number {
    let n = 0;
    for (const group of this.groups.values()) n += group.waiting;
    return n;
  }

  submit(group: string, item: I, send: (batch: I[]) => Promise<O[]>): Promise<O> {
    let shared = this.groups.get(group);
    if (!shared) {
      shared = new SharedStatements(send, this.options);
      this.groups.set(group, shared);
    }
    return shared.submit(item);
  }
}
