// The emulator's state and wiring: clock, accounts (platform + connected), event publishing,
// webhook delivery, faults and idempotency. The route tables are the HTTP layer's
// (http/routes.ts); resources register their routes in resources/index.ts.
import type Stripe from 'stripe';
import { Clock } from './billing/clock.js';
import { Faults } from './faults.js';
import { errors } from './http/errors.js';
import { IdempotencyStore } from './http/idempotency.js';
import { Scope } from './store/scope.js';
import { WebhookDelivery, type Target } from './webhooks/delivery.js';
import { EventPublisher } from './webhooks/events.js';

export interface EmulatorSettings {
  /** What happens to a past_due subscription when the last retry fails (Stripe's dunning setting). */
  pastDueFinalAction: 'cancel' | 'unpaid';
  /** Days between payment retries after a failed renewal; one retry per entry. */
  retryScheduleDays: number[];
  /** How long an `incomplete` subscription waits for its first payment (Stripe: about 23 h). */
  incompleteExpirySeconds: number;
  /** `invoice.upcoming` is sent this many days before a renewal. */
  upcomingInvoiceDays: number;
  /** `customer.subscription.trial_will_end` is sent this many days before a trial ends. */
  trialWillEndDays: number;
  /** Checkout sessions expire after this (Stripe's default is 24 h). */
  checkoutExpirySeconds: number;
}

export interface EmulatorConfig {
  secretKey: string;
  publicUrl: string;
  settings: EmulatorSettings;
  startTime?: number;
  webhookRetryDelaysMs?: number[];
  /** Accept any well-formed `acct_…` in `Stripe-Account` (created on first use) instead of only existing accounts. */
  acceptAnyAccount?: boolean;
}

export interface ConnectedAccount {
  account: Stripe.Account;
  scope: Scope;
  deauthorized: boolean;
}

/** Whatever names a customer: its id, the customer itself, or nothing (an object of no customer). */
type CustomerRef = string | { id: string } | null | undefined;

export class Emulator {
  /** The emulator-wide clock: objects on no test clock, local mode, `/_emulator/clock/advance`. */
  readonly clock: Clock;
  /** Each test clock's own clock (by `clock_…` id): its customers' objects live on its time. */
  testClocks = new Map<string, Clock>();
  readonly faults = new Faults();
  readonly delivery: WebhookDelivery;
  readonly events = new EventPublisher(this);
  readonly idempotency = new IdempotencyStore();

  platform = new Scope(null);
  accounts = new Map<string, ConnectedAccount>();
  /** Hosted pages (checkout, portal, invoice) are reached by id alone; this finds their account. */
  pageIndex = new Map<string, Scope>();
  /** Webhook endpoint id → signing secret (Stripe shows a secret only once, at creation). */
  endpointSecrets = new Map<string, string>();
  /** Ids of the endpoints created with `connect=true`: they receive connected accounts' events, and only those. */
  connectEndpoints = new Set<string>();
  /** Off (the default), as Stripe: `Stripe-Account` must name an existing account. On, for quick local use: any `acct_…` is created on first use. */
  acceptAnyAccount: boolean;
  /** The request being handled, for `event.request`. */
  currentRequest: { id: string; idempotency_key: string | null } | null = null;
  settings: EmulatorSettings;
  readonly secretKey: string;
  publicUrl: string;

  constructor(config: EmulatorConfig) {
    this.secretKey = config.secretKey;
    this.publicUrl = config.publicUrl;
    this.settings = { ...config.settings };
    this.clock = new Clock(config.startTime);
    this.acceptAnyAccount = config.acceptAnyAccount ?? false;
    this.delivery = new WebhookDelivery(
      this.faults,
      config.webhookRetryDelaysMs ? { retryDelaysMs: config.webhookRetryDelaysMs, timeoutMs: 10_000 } : undefined,
    );
  }

  /**
   * The clock an object lives on: its customer's test clock (Stripe: a customer created with
   * `test_clock`, and so its subscriptions, invoices, schedules, lives on that clock's time),
   * else the emulator-wide clock. Every read of `now` and every task of the billing engine goes
   * through this, so advancing one test clock moves only its own customers' objects.
   */
  clockOf(scope: Scope, customer: CustomerRef): Clock {
    const id = typeof customer === 'string' ? customer : customer?.id;
    const testClock = id ? scope.customers.get(id)?.test_clock : null;
    return (typeof testClock === 'string' && this.testClocks.get(testClock)) || this.clock;
  }

  /** The scope a `Stripe-Account` header names: an existing account's, or (acceptAnyAccount) any `acct_…` id's, created on first use. */
  scopeFor(account: string | null): Scope {
    if (!account) return this.platform;
    const known = this.accounts.get(account);
    if (known && !known.deauthorized) return known.scope;
    if (known?.deauthorized || !this.acceptAnyAccount || !/^acct_[A-Za-z0-9]+$/.test(account)) {
      throw errors.permission(
        `The provided key '${this.secretKey.slice(0, 8)}***' does not have access to account '${account}' (or that account does not exist). Application access may have been revoked.`,
        'account_invalid',
      );
    }
    return this.ensureAccount(account).scope;
  }

  ensureAccount(id: string, fields: Partial<Stripe.Account> = {}): ConnectedAccount {
    const existing = this.accounts.get(id);
    if (existing) return existing;
    const account: Stripe.Account = {
      id,
      object: 'account',
      business_profile: null,
      business_type: null,
      capabilities: { card_payments: 'active', transfers: 'active' },
      charges_enabled: true,
      controller: { type: 'application', is_controller: true },
      country: 'JP',
      created: this.clock.now(),
      default_currency: 'jpy',
      details_submitted: true,
      email: null,
      external_accounts: { object: 'list', data: [], has_more: false, url: `/v1/accounts/${id}/external_accounts` },
      future_requirements: undefined,
      metadata: {},
      payouts_enabled: true,
      requirements: undefined,
      settings: null,
      tos_acceptance: undefined,
      type: 'standard',
      ...fields,
    };
    const entry: ConnectedAccount = { account, scope: new Scope(id), deauthorized: false };
    this.accounts.set(id, entry);
    return entry;
  }

  /**
   * As Stripe: a connected account's event (it carries `account`) goes to the platform's Connect
   * endpoints (`connect=true`) and to the account's own endpoints (created with `Stripe-Account`);
   * the platform's own event goes to the platform's other endpoints only.
   */
  webhookTargets(scope: Scope, type: string): Target[] {
    const scopes = scope.account ? [this.platform, scope] : [this.platform];
    const targets: Target[] = [];
    for (const s of scopes) {
      for (const endpoint of s.webhookEndpoints.values()) {
        if (endpoint.status !== 'enabled') continue;
        if (s === this.platform && this.connectEndpoints.has(endpoint.id) !== (scope.account !== null)) continue;
        if (!endpoint.enabled_events.includes('*') && !endpoint.enabled_events.includes(type)) continue;
        targets.push({ endpointId: endpoint.id, url: endpoint.url, secret: this.endpointSecrets.get(endpoint.id) ?? '' });
      }
    }
    return targets;
  }

  /** Every scope: the platform and each connected account. */
  *scopes(): IterableIterator<Scope> {
    yield this.platform;
    for (const a of this.accounts.values()) yield a.scope;
  }

  /** Forgets every object, event, fault and scheduled task; keeps settings, endpoints configured at start are re-added by the caller. */
  reset(): void {
    this.clock.clear();
    this.testClocks = new Map();
    this.faults.clear();
    this.delivery.stop();
    this.idempotency.clear();
    this.platform = new Scope(null);
    this.accounts = new Map();
    this.pageIndex = new Map();
    this.endpointSecrets = new Map();
    this.connectEndpoints = new Set();
  }
}
