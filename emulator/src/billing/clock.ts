// A clock and its task queue. The emulator-wide clock is real time plus an offset that only
// grows; a test clock's (`frozen`) stands still at its `frozen_time` until advanced. Advancing
// either runs every scheduled task that falls due, one at a time in timestamp order, with the
// clock set to each task's own time so the objects it creates carry it.

interface Task {
  at: number;
  seq: number;
  key: string;
  run: () => void;
  cancelled: boolean;
}

export class Clock {
  private offset = 0;
  private seq = 0;
  private heap: Task[] = [];
  private readonly byKey = new Map<string, Task>();
  private running = false;
  /** A test clock's time: set, the clock does not tick with real time. */
  private frozen: number | null;

  constructor(startTime?: number, opts: { frozen?: boolean } = {}) {
    this.frozen = opts.frozen ? Math.floor(startTime ?? Date.now() / 1000) : null;
    if (startTime !== undefined && this.frozen === null) this.offset = startTime - Date.now() / 1000;
  }

  /** Unix seconds. */
  now(): number {
    return this.frozen ?? Math.floor(Date.now() / 1000 + this.offset);
  }

  /** Schedules `run` at `at`; a task with the same key replaces the previous one. */
  schedule(at: number, key: string, run: () => void): void {
    this.cancel(key);
    const task: Task = { at, seq: this.seq++, key, run, cancelled: false };
    this.byKey.set(key, task);
    this.push(task);
  }

  cancel(key: string): void {
    const t = this.byKey.get(key);
    if (t) {
      t.cancelled = true;
      this.byKey.delete(key);
    }
  }

  scheduledAt(key: string): number | undefined {
    return this.byKey.get(key)?.at;
  }

  get pending(): number {
    return this.byKey.size;
  }

  /** Runs tasks that are due at the current time (real time may have passed them). */
  runDue(): void {
    this.runUntil(this.now());
  }

  advance(seconds: number): number {
    if (!(seconds >= 0)) throw new Error('seconds must be a non-negative number');
    return this.advanceTo(this.now() + seconds);
  }

  advanceTo(target: number): number {
    this.runUntil(target);
    this.setNow(target);
    return this.now();
  }

  private setNow(t: number): void {
    if (this.frozen !== null) {
      this.frozen = Math.max(this.frozen, Math.floor(t));
      return;
    }
    const current = Date.now() / 1000 + this.offset;
    if (t > current) this.offset += t - current;
  }

  private runUntil(target: number): void {
    // Tasks may schedule further tasks; a re-entrant call (a task advancing time) is ignored.
    if (this.running) return;
    this.running = true;
    try {
      while (this.heap.length > 0 && this.heap[0].at <= target) {
        const task = this.pop();
        if (task.cancelled) continue;
        this.byKey.delete(task.key);
        this.setNow(task.at);
        task.run();
      }
    } finally {
      this.running = false;
    }
  }

  // A binary min-heap on (at, seq): equal times run in scheduling order.
  private less(a: Task, b: Task): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(task: Task): void {
    const h = this.heap;
    h.push(task);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Task {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.heap = [];
    this.byKey.clear();
  }
}
