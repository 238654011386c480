// Fault injection driven by the control API, for tests and benchmarks: latency, 429 rate
// limiting (a per-second budget like Stripe's), 5xx errors on API calls, and dropped,
// duplicated, delayed or reordered webhook deliveries.

export interface ApiFaultRule {
  /** Path prefix to match (`/v1/customers`); all API calls when absent. */
  path?: string;
  method?: string;
  /** Added delay before answering. */
  latency_ms?: number;
  /** Answer with this status (500, 502, 503, 429...) instead of running the call. */
  status?: number;
  /** Requests per second allowed on the matched calls; beyond it 429s. */
  rate_limit?: number;
  /** Value of `Stripe-Should-Retry` to send with injected errors (not sent when unset, as Stripe does for rate limits). */
  should_retry?: boolean;
  /** Apply to this many matching calls only, then stop. */
  count?: number;
  /** Apply with this probability (0..1, default 1). */
  probability?: number;
}

export interface WebhookFaultRule {
  /** Event types this rule applies to (all when absent). */
  types?: string[];
  count?: number;
  probability?: number;
}

export interface WebhookFaults {
  drop?: WebhookFaultRule;
  duplicate?: WebhookFaultRule;
  /** Hold deliveries back and release each window of `window` deliveries in reverse order. */
  reorder?: { window?: number };
  /** Delay every delivery attempt by this many milliseconds. */
  delay_ms?: number;
}

export interface FaultConfig {
  api?: ApiFaultRule[];
  webhooks?: WebhookFaults;
}

export type ApiFaultDecision =
  | { kind: 'none'; latencyMs: number }
  | { kind: 'error'; latencyMs: number; status: number; headers: Record<string, string> };

interface RuleState extends ApiFaultRule {
  windowStart: number;
  windowCount: number;
}

export class Faults {
  private rules: RuleState[] = [];
  webhooks: WebhookFaults = {};

  add(config: FaultConfig): void {
    for (const rule of config.api ?? []) this.rules.push({ ...rule, windowStart: 0, windowCount: 0 });
    if (config.webhooks) this.webhooks = { ...this.webhooks, ...config.webhooks };
  }

  clear(): void {
    this.rules = [];
    this.webhooks = {};
  }

  describe(): FaultConfig {
    return {
      api: this.rules.map(({ windowStart: _s, windowCount: _c, ...rule }) => rule),
      webhooks: this.webhooks,
    };
  }

  decide(method: string, path: string): ApiFaultDecision {
    let latencyMs = 0;
    for (const rule of this.rules) {
      if (rule.path && !path.startsWith(rule.path)) continue;
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (rule.count !== undefined && rule.count <= 0) continue;
      if (rule.probability !== undefined && Math.random() >= rule.probability) continue;
      if (rule.rate_limit !== undefined) {
        const second = Math.floor(Date.now() / 1000);
        if (rule.windowStart !== second) {
          rule.windowStart = second;
          rule.windowCount = 0;
        }
        rule.windowCount++;
        if (rule.windowCount <= rule.rate_limit) continue;
      }
      if (rule.count !== undefined) rule.count--;
      latencyMs += rule.latency_ms ?? 0;
      const status = rule.status ?? (rule.rate_limit !== undefined ? 429 : undefined);
      if (status !== undefined) {
        const headers: Record<string, string> = {};
        if (rule.should_retry !== undefined) headers['Stripe-Should-Retry'] = String(rule.should_retry);
        if (status === 429) headers['Stripe-Rate-Limited-Reason'] = rule.rate_limit !== undefined ? 'global-rate' : 'resource-specific';
        return { kind: 'error', latencyMs, status, headers };
      }
    }
    return { kind: 'none', latencyMs };
  }

  /** Whether a webhook fault of this kind applies to one delivery of an event type (consumes a count). */
  hit(kind: 'drop' | 'duplicate', type: string): boolean {
    const rule = this.webhooks[kind];
    if (!rule) return false;
    if (rule.types && !rule.types.includes(type)) return false;
    if (rule.count !== undefined) {
      if (rule.count <= 0) return false;
    }
    if (rule.probability !== undefined && Math.random() >= rule.probability) return false;
    if (rule.count !== undefined) rule.count--;
    return true;
  }
}
