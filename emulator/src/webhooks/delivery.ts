// Delivers events to webhook endpoints over HTTP, signed like Stripe, retrying non-2xx answers
// and network errors with exponential backoff. Each endpoint receives its events one at a time
// in creation order (Stripe guarantees no order; the reorder fault breaks it on purpose).
// Retries run on real time, compressed: Stripe spreads them over 3 days, tests cannot wait.
import type { Faults } from '../faults.js';
import { signatureHeader } from './signing.js';

export interface Target {
  endpointId: string;
  url: string;
  secret: string;
}

interface Job {
  target: Target;
  eventId: string;
  type: string;
  payload: string;
  attempt: number;
  onDone: (delivered: boolean) => void;
}

export interface DeliveryRecord {
  event: string;
  type: string;
  endpoint: string;
  attempt: number;
  status: number | null;
  error?: string;
  at: number;
}

export interface DeliveryOptions {
  /** Delays between attempts in ms; its length + 1 is the number of attempts. */
  retryDelaysMs: number[];
  timeoutMs: number;
}

export class WebhookDelivery {
  enabled = true;
  private readonly queues = new Map<string, { jobs: Job[]; busy: boolean }>();
  private held: Job[] = [];
  private pendingCount = 0;
  private waiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly log: DeliveryRecord[] = [];

  constructor(
    private readonly faults: Faults,
    readonly options: DeliveryOptions = { retryDelaysMs: [100, 200, 400, 800, 1600], timeoutMs: 10_000 },
  ) {}

  get pending(): number {
    return this.pendingCount;
  }

  enqueue(target: Target, eventId: string, type: string, payload: string, onDone: (delivered: boolean) => void): void {
    if (!this.enabled) return onDone(false);
    if (this.faults.hit('drop', type)) return onDone(false);
    const copies = this.faults.hit('duplicate', type) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const job: Job = { target, eventId, type, payload, attempt: 0, onDone: i === 0 ? onDone : () => undefined };
      this.pendingCount++;
      const window = this.faults.webhooks.reorder?.window;
      if (window !== undefined) {
        this.held.push(job);
        if (this.held.length >= Math.max(2, window)) this.releaseHeld();
      } else {
        this.push(job);
      }
    }
  }

  /** Resolves when every queued, held, in-flight and retrying delivery has finished. */
  flush(): Promise<void> {
    this.releaseHeld();
    if (this.pendingCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queues.clear();
    this.held = [];
    this.pendingCount = 0;
    this.settle();
  }

  private releaseHeld(): void {
    const held = this.held.reverse();
    this.held = [];
    for (const job of held) this.push(job);
  }

  private push(job: Job): void {
    const q = this.queues.get(job.target.endpointId) ?? { jobs: [], busy: false };
    this.queues.set(job.target.endpointId, q);
    q.jobs.push(job);
    void this.pump(job.target.endpointId);
  }

  private async pump(endpointId: string): Promise<void> {
    const q = this.queues.get(endpointId);
    if (!q || q.busy) return;
    q.busy = true;
    try {
      while (q.jobs.length > 0) {
        const job = q.jobs.shift()!;
        await this.attempt(job);
      }
    } finally {
      q.busy = false;
    }
  }

  private async attempt(job: Job): Promise<void> {
    job.attempt++;
    const delay = this.faults.webhooks.delay_ms;
    if (delay) await new Promise((r) => setTimeout(r, delay));
    let status: number | null = null;
    let error: string | undefined;
    try {
      const res = await fetch(job.target.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': signatureHeader(job.payload, [job.target.secret]),
        },
        body: job.payload,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (e) {
      error = (e as Error).message;
    }
    this.log.push({ event: job.eventId, type: job.type, endpoint: job.target.endpointId, attempt: job.attempt, status, error, at: Date.now() });
    if (this.log.length > 10_000) this.log.splice(0, this.log.length - 10_000);
    const ok = status !== null && status >= 200 && status < 300;
    if (ok || job.attempt > this.options.retryDelaysMs.length) {
      job.onDone(ok);
      this.done();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.queues.has(job.target.endpointId) || this.pendingCount > 0) this.push(job);
    }, this.options.retryDelaysMs[job.attempt - 1]);
    this.timers.add(timer);
  }

  private done(): void {
    this.pendingCount = Math.max(0, this.pendingCount - 1);
    this.settle();
  }

  private settle(): void {
    if (this.pendingCount > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
