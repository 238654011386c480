import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { MetricsServer } from '../src/infra/metrics/metrics-server.js';
import { ApplicationsService } from '../src/tenancy/applications.service.js';
import { issueKey, lookupGet } from './app-payment-customers/helpers.js';
import { createTier, type Tier } from './support/catalog.js';
import { parseExposition, seriesNames, total, type Exposition } from './support/prometheus.js';
import { REPO_ROOT } from './support/spawn.js';
import { startStack, type Stack } from './support/stack.js';
import { startTestApp, TEST_ADMIN_TOKEN, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { postWebhook, stripeEvent, stripeSignature } from './support/webhooks.js';
import { authed, ownerToken, setCatalog, urls } from './subscriptions/helpers.js';

/**
 * GET /metrics after a real flow through the service (a checkout paid and its webhooks applied, a
 * partner lookup, features, a reconcile run that heals drift, Stripe failing for a moment, a 404
 * and a 400): every family named in the README moved, routes are labelled by template, nothing
 * secret is exposed, and only the admin token (or the separate port) gets the metrics. The
 * dashboard and the alert rules in ops/ use only series the service exports.
 */
describe('Prometheus metrics on the service port, behind the admin token', () => {
  let s: Stack;
  let tier: Tier;
  let before: Exposition;
  let after: Exposition;
  let text: string;
  let partnerKey: string;
  let webhookSecret: string;
  /** Taken after the webhooks of the checkout were stored and before the worker applied them. */
  let backlog: Exposition;

  const scrape = async () => {
    const res = await s.admin(s.http().get('/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { exposition: parseExposition(res.text), text: res.text };
  };
  const moved = (name: string, where: Record<string, string> = {}) => total(after, name, where) - total(before, name, where);

  beforeAll(async () => {
    // One attempt of a Stripe call gives up after 5 s (the SDK then retries it).
    s = await startStack({ STRIPE_TIMEOUT_MS: '5000' });
    tier = await createTier(s.stripe, 'standard', ['basic_features']);
    await setCatalog(s, 'default', [tier.monthly.id, tier.yearly.id]);
    partnerKey = (await issueKey(s)).key;
    [webhookSecret] = await s.app.get(ApplicationsService).currentWebhookSecrets('default');
    before = (await scrape()).exposition;

    const token = await ownerToken('ACME');
    const checkout = (body: object) => authed(s.http().post('/api/subscriptions/stripe/checkout-session'), token).send(body);
    // Stripe answers the customer's creation too late once (the attempt times out, the SDK retries),
    // limits us once (no retry: the SDK retries a 429 only when Stripe says so), then fails once and the SDK retries.
    s.emulator.setFaults({ api: [{ path: '/v1/customers', method: 'POST', latency_ms: 6000, count: 1 }, { path: '/v1/checkout/sessions', method: 'POST', status: 429, count: 1 }] });
    expect((await checkout({ price_id: tier.monthly.id, ...urls })).status).toBe(503);
    s.emulator.setFaults({ api: [{ path: '/v1/checkout/sessions', method: 'POST', status: 500, should_retry: true, count: 1 }] });
    // Every delivery sent twice: the second is a duplicate for the inbox.
    s.emulator.setFaults({ webhooks: { duplicate: { probability: 1 } } });
    const session = await checkout({ price_id: tier.monthly.id, ...urls });
    expect(session.status).toBe(200);
    expect((await s.payCheckout(session.body.id)).status).toBe('complete');
    await s.emulator.flushWebhooks();
    backlog = (await scrape()).exposition;
    await s.settle();
    s.emulator.clearFaults();

    // An event for a connected account no merchant has: dead at once, waiting for a person.
    const orphan = stripeEvent('customer.updated', { id: 'cus_orphan', object: 'customer' }, { account: 'acct_nobody0000001' });
    expect((await postWebhook(s.http, 'default', orphan.body, stripeSignature(webhookSecret, orphan.body))).status).toBe(200);
    await s.settle();

    expect((await lookupGet(s, partnerKey, 'company_id=ACME')).status).toBe(200);
    expect((await authed(s.http().get('/api/subscriptions/features'), token)).status).toBe(200);
    expect((await authed(s.http().get('/api/accounts/ACME/subscriptions/features'), token)).status).toBe(200);

    // Drift: a subscription made on Stripe while no webhook reached the service; the run creates it.
    s.emulator.setWebhooksEnabled(false);
    const customer = await s.stripe.customers.create({ metadata: { account_id: 'INITECH' } });
    await s.stripe.subscriptions.create({ customer: customer.id, items: [{ price: tier.monthly.id }], default_payment_method: 'pm_card_visa', metadata: { application_id: 'default' } });
    const run = await s.admin(s.http().post('/admin/reconcile-runs')).send({ wait: true });
    expect(run.body).toMatchObject({ status: 'succeeded', created: 1 });
    s.emulator.setWebhooksEnabled(true);

    expect((await s.http().get('/api/no-such-route/ACME-404')).status).toBe(404);
    expect((await checkout({ price_id: 42 })).status).toBe(400);
    ({ exposition: after, text } = await scrape());
  });
  afterAll(() => s.close());

  it('counts HTTP requests by route template, method and status, with their latency', () => {
    expect(moved('billing_http_requests_total', { route: '/api/subscriptions/stripe/checkout-session', method: 'POST', status: '200' })).toBe(1);
    expect(moved('billing_http_requests_total', { route: '/api/subscriptions/stripe/checkout-session', method: 'POST', status: '400' })).toBe(1);
    expect(moved('billing_http_requests_total', { route: '/api/subscriptions/stripe/checkout-session', method: 'POST', status: '503' })).toBe(1);
    expect(moved('billing_http_requests_total', { route: '/api/applications/:application_id/app-payment-customers', method: 'GET', status: '200' })).toBe(1);
    expect(moved('billing_http_requests_total', { route: '/api/accounts/:account_id/subscriptions/features', method: 'GET', status: '200' })).toBe(1);
    expect(moved('billing_http_requests_total', { route: '(unmatched)', status: '404' })).toBe(1);
    expect(moved('billing_http_request_duration_seconds_count', { route: '/api/subscriptions/stripe/checkout-session', method: 'POST', status: '200' })).toBe(1);
    // Routes are templates: no id from a path is ever a label value.
    const routes = new Set(after.samples.filter((x) => x.name === 'billing_http_requests_total').map((x) => x.labels.route!));
    for (const route of routes) expect(route).not.toMatch(/ACME|default\/|cs_|sub_|cus_/);
    expect([...routes].every((r) => r === '(unmatched)' || r.startsWith('/'))).toBe(true);
  });

  it('counts webhook events received, duplicate, applied and dead by type, and shows the inbox', () => {
    expect(moved('billing_webhook_events_received_total', { type: 'checkout.session.completed' })).toBe(2);
    expect(moved('billing_webhook_events_duplicate_total', { type: 'checkout.session.completed' })).toBe(1);
    expect(moved('billing_webhook_events_applied_total', { type: 'customer.subscription.created' })).toBe(1);
    expect(moved('billing_webhook_events_failed_total', { type: 'customer.updated' })).toBe(1);
    expect(moved('billing_webhook_events_dead_total', { type: 'customer.updated', reason: 'unknown_account' })).toBe(1);
    // Stored and not yet applied, then applied: the gauges follow the inbox.
    expect(total(backlog, 'billing_webhook_inbox_events', { state: 'received' })).toBeGreaterThan(0);
    expect(total(backlog, 'billing_webhook_inbox_oldest_unapplied_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(total(after, 'billing_webhook_inbox_events', { state: 'received' })).toBe(0);
    expect(total(after, 'billing_webhook_inbox_events', { state: 'dead' })).toBe(1);
    expect(total(after, 'billing_webhook_inbox_oldest_unapplied_age_seconds')).toBe(0);
    expect(after.types.get('billing_webhook_batch_failures_total')).toBe('counter');
  });

  it('counts Stripe calls by operation and outcome, with their latency, retries, 429s and timeouts', () => {
    expect(moved('billing_stripe_calls_total', { operation: 'checkout.sessions.create', outcome: 'ok' })).toBe(1);
    expect(moved('billing_stripe_calls_total', { operation: 'checkout.sessions.create', outcome: 'stripe_rate_limited' })).toBe(1);
    expect(moved('billing_stripe_call_duration_seconds_count', { operation: 'checkout.sessions.create' })).toBe(2);
    expect(moved('billing_stripe_retries_total', { operation: 'checkout.sessions.create' })).toBe(1);
    expect(moved('billing_stripe_http_attempts_total', { result: '429' })).toBe(1);
    expect(moved('billing_stripe_http_attempts_total', { result: '500' })).toBe(1);
    expect(moved('billing_stripe_http_attempts_total', { result: 'timeout' })).toBe(1);
    expect(moved('billing_stripe_calls_total', { operation: 'customers.create', outcome: 'ok' })).toBe(1);
    expect(moved('billing_stripe_retries_total', { operation: 'customers.create' })).toBe(1);
    expect(moved('billing_stripe_http_attempts_total', { result: '200' })).toBeGreaterThan(0);
    // The reconcile run's listing goes through the same gateway.
    expect(moved('billing_stripe_calls_total', { operation: 'subscriptions.list', outcome: 'ok' })).toBeGreaterThan(0);
  });

  it('records the reconcile run: outcome, duration, objects listed and drift healed', () => {
    expect(moved('billing_reconcile_runs_total', { trigger: 'admin', outcome: 'succeeded' })).toBe(1);
    expect(moved('billing_reconcile_run_duration_seconds_count', { trigger: 'admin', outcome: 'succeeded' })).toBe(1);
    expect(moved('billing_reconcile_objects_listed_total')).toBe(2);
    expect(moved('billing_reconcile_drift_healed_total', { change: 'created' })).toBe(1);
    expect(moved('billing_reconcile_drift_healed_total')).toBe(1);
    expect(total(after, 'billing_reconcile_last_success_timestamp_seconds')).toBeGreaterThan(0);
  });

  it('times partner lookups and features answers', () => {
    expect(moved('billing_partner_lookup_duration_seconds_count', { outcome: 'ok' })).toBe(1);
    expect(moved('billing_partner_lookup_companies_total')).toBe(1);
    expect(moved('billing_features_duration_seconds_count', { outcome: 'ok' })).toBe(2);
  });

  it('reports the database pool (PostgreSQL) or its one connection (PGlite), and the process', () => {
    if (s.config.DATABASE_URL) {
      expect(total(after, 'billing_db_pool_max_connections', { pool: 'primary' })).toBe(s.config.DATABASE_POOL_MAX);
      expect(after.samples.filter((x) => x.name === 'billing_db_pool_connections').map((x) => x.labels.state).sort()).toEqual(['idle', 'in_use']);
      expect(total(after, 'billing_db_pool_connections')).toBeGreaterThan(0);
      expect(after.samples.some((x) => x.name === 'billing_db_pool_waiting')).toBe(true);
    } else {
      expect(total(after, 'billing_db_pool_max_connections', { pool: 'primary' })).toBe(1);
    }
    expect(total(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(total(after, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('exposes no secret: admin token, JWT secret, partner key, Stripe key, webhook secret', () => {
    for (const secret of [TEST_ADMIN_TOKEN, TEST_JWT_SECRET, partnerKey, s.config.STRIPE_SECRET_KEY, webhookSecret]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/whsec_|sk_test_|Bearer/);
  });

  it('answers 401 without the admin token or with a wrong one', async () => {
    const none = await s.http().get('/metrics');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('missing_token');
    const wrong = await s.http().get('/metrics').set('authorization', 'Bearer not-the-admin-token-at-all');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_admin_token');
    expect(wrong.text).not.toContain('billing_');
  });

  it('is not in the OpenAPI document (Prometheus reads it, not client code)', async () => {
    const doc = await s.http().get('/docs-json');
    expect(Object.keys(doc.body.paths)).not.toContain('/metrics');
  });

  describe('the dashboard and the alert rules in ops/ use only series the service exports', () => {
    const referenced = (text: string) => new Set([...text.matchAll(/\b((?:billing|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!));

    it('ops/grafana/billing-dashboard.json is a dashboard over Prometheus queries of exported series', () => {
      const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'ops/grafana/billing-dashboard.json'), 'utf8')) as { title: string; panels: { title: string; targets?: { expr: string }[] }[] };
      expect(dashboard.title).toMatch(/billing/i);
      const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
      expect(exprs.length).toBeGreaterThan(10);
      const names = referenced(exprs.join('\n'));
      const exported = seriesNames(after);
      expect([...names].filter((n) => !exported.has(n))).toEqual([]);
      // Each area of the README's list has a panel.
      for (const family of ['billing_http_requests_total', 'billing_webhook_inbox_oldest_unapplied_age_seconds', 'billing_webhook_events_dead_total', 'billing_stripe_calls_total', 'billing_reconcile_drift_healed_total', 'billing_partner_lookup_duration_seconds_bucket', 'billing_features_duration_seconds_bucket', 'billing_db_pool_connections', 'process_resident_memory_bytes']) {
        expect({ family, used: names.has(family) }).toEqual({ family, used: true });
      }
    });

    it('ops/prometheus/alerts.yml holds alert rules over exported series', () => {
      const rules = load(readFileSync(join(REPO_ROOT, 'ops/prometheus/alerts.yml'), 'utf8')) as { groups: { name: string; rules: { alert: string; expr: string; for?: string; labels?: { severity?: string }; annotations?: { summary?: string } }[] }[] };
      const all = rules.groups.flatMap((g) => g.rules);
      expect(all.map((r) => r.alert).sort()).toEqual(['BillingDeadWebhookEvents', 'BillingHttp5xxRate', 'BillingReconcileHealedDrift', 'BillingStripeErrorRate', 'BillingWebhookInboxStale']);
      for (const rule of all) {
        expect({ alert: rule.alert, expr: typeof rule.expr, severity: typeof rule.labels?.severity, summary: typeof rule.annotations?.summary }).toEqual({ alert: rule.alert, expr: 'string', severity: 'string', summary: 'string' });
      }
      const names = referenced(all.map((r) => r.expr).join('\n'));
      const exported = seriesNames(after);
      expect([...names].filter((n) => !exported.has(n))).toEqual([]);
    });
  });
});

describe('Prometheus metrics on a port of their own (METRICS_PORT)', () => {
  let t: TestApp;
  let metricsUrl: string;
  beforeAll(async () => {
    t = await startTestApp({ METRICS_PORT: '0' });
    metricsUrl = `http://127.0.0.1:${t.app.get(MetricsServer).port}`;
  });
  afterAll(() => t.close());

  it('serves GET /metrics there without a token, and nothing else', async () => {
    await t.http().get('/health/live').expect(200);
    const res = await fetch(`${metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const exposition = parseExposition(await res.text());
    expect(total(exposition, 'billing_http_requests_total', { route: '/health/live', method: 'GET', status: '200' })).toBe(1);
    const other = await fetch(`${metricsUrl}/health`);
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('answers 404 for /metrics on the service port, even with the admin token', async () => {
    const res = await t.admin(t.http().get('/metrics'));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

