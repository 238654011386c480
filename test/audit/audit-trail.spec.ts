import { AUDIT_PURGE_CRON, AuditRetention } from '../../src/audit/audit-retention.js';
import { ScheduledRuns } from '../../src/infra/scheduling/scheduled-runs.js';
import { createTier, type Tier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { accountToken, TEST_ADMIN_TOKEN, TEST_JWT_SECRET } from '../support/test-app.js';
import { usingPostgres } from '../support/test-database.js';
import { authed, expectError, ORIGIN, setCatalog, sqlOf, urls } from '../subscriptions/helpers.js';

interface AuditView {
  id: string;
  occurred_at: string;
  request_id: string;
  actor_type: string;
  actor_id: string;
  subject: string | null;
  roles: string[] | null;
  channel: string;
  operator: string | null;
  action: string;
  application_id: string | null;
  account_id: string | null;
  merchant_id: string | null;
  target: Record<string, string>;
  params: Record<string, unknown>;
  before: unknown;
  after: unknown;
  stripe_request_ids: string[];
  outcome: string;
  status: number;
  error_code: string | null;
}

/**
 * The audit trail through real HTTP, the real application and database and the Stripe emulator:
 * seed 001's purchase flow and an admin session each leave exactly their records, with who, the
 * request id and the Stripe request ids (checked against the request ids of the events the
 * emulator emitted), and no secret anywhere in the trail or in its listing.
 */
describe(`the audit trail on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let s: Stack;
  let tier: Tier;
  const secrets: string[] = [TEST_ADMIN_TOKEN, TEST_JWT_SECRET];

  beforeAll(async () => {
    s = await startStack({ AUDIT_RETENTION_DAYS: '30' });
    secrets.push(s.emulator.secretKey);
    tier = await createTier(s.stripe, 'standard', ['basic_features', 'reports']);
    await setCatalog(s, 'default', [tier.monthly.id, tier.yearly.id]);
  });
  afterAll(() => s.close());

  /** Every record of a filter, oldest first, through the admin API (following the cursor). */
  async function trail(query: Record<string, string> = {}): Promise<AuditView[]> {
    const all: AuditView[] = [];
    let cursor: string | null = null;
    do {
      const res = await s.admin(s.http().get('/admin/audit-records')).query({ ...query, limit: '2', ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      for (const secret of secrets) expect(JSON.stringify(res.body)).not.toContain(secret);
      all.push(...res.body.data);
      cursor = res.body.next_cursor;
    } while (cursor);
    return all.reverse();
  }

  /** The request id of each Stripe event of a type that the emulator emitted. */
  async function eventRequestIds(type: string): Promise<string[]> {
    const events = await s.stripe.events.list({ type, limit: 100 });
    return events.data.map((e) => e.request?.id).filter((id): id is string => typeof id === 'string');
  }

  it("records seed 001's purchase flow: checkout, sync, change quantity, cancel, resume, and the failed resume", async () => {
    const token = await accountToken({ acc: 'AUDIT-CO', role: 'owner', sub: 'keiri-user-7' });
    secrets.push(token);
    const post = (path: string, body: object = {}) => authed(s.http().post(`/api/subscriptions${path}`), token).send(body);
    const answered: string[] = [];
    const step = async (path: string, body: object, status = 200) => {
      const res = await post(path, body);
      expect({ status: res.status, path }).toEqual({ status, path });
      answered.push(res.headers['x-request-id']);
      return res;
    };

    const checkout = await step('/stripe/checkout-session', { price_id: tier.monthly.id, ...urls, quantity: 2 });
    await s.payCheckout(checkout.body.id);
    const synced = await step('/stripe/checkout-session-sync', { session_id: checkout.body.id });
    const subId: string = synced.body.id;
    await step(`/${subId}/change`, { quantity: 3 });
    await step(`/${subId}/cancel`, { timing: 'period_end' });
    await step(`/${subId}/resume`, {});
    const again = await step(`/${subId}/resume`, {}, 409);
    expectError(again, 409, 'not_scheduled_to_cancel');
    // A read is not a mutation: no record.
    expect((await authed(s.http().get('/api/subscriptions'), token)).status).toBe(200);

    const records = await trail({ account_id: 'AUDIT-CO' });
    expect(records.map((r) => [r.action, r.outcome, r.status, r.error_code])).toEqual([
      ['subscription.checkout-session', 'success', 200, null],
      ['subscription.checkout-sync', 'success', 200, null],
      ['subscription.change', 'success', 200, null],
      ['subscription.cancel', 'success', 200, null],
      ['subscription.resume', 'success', 200, null],
      ['subscription.resume', 'error', 409, 'not_scheduled_to_cancel'],
    ]);
    expect(records.map((r) => r.request_id)).toEqual(answered);
    for (const r of records) {
      expect(r).toMatchObject({ actor_type: 'account', actor_id: 'AUDIT-CO', subject: 'keiri-user-7', roles: ['owner'], channel: 'api', operator: null, application_id: 'default', account_id: 'AUDIT-CO', merchant_id: 'platform' });
      expect(r.stripe_request_ids.every((id) => /^req_\w+$/.test(id))).toBe(true);
    }
    const [open, sync, change, cancel, resume] = records;
    expect(open!.params).toEqual({ price_id: tier.monthly.id, ...urls, quantity: 2 });
    expect(open!.after).toEqual({ id: checkout.body.id, url: checkout.body.url });
    expect(sync!.target).toEqual({ session_id: checkout.body.id });
    expect(sync!.before).toEqual([]);
    expect(sync!.after).toEqual([expect.objectContaining({ id: subId, status: 'active' })]);
    expect(change!.target).toEqual({ subscription_id: subId });
    expect(change!.params).toEqual({ quantity: 3 });
    expect(change!.before).toMatchObject({ id: subId, items: [expect.objectContaining({ quantity: 2 })] });
    expect(change!.after).toMatchObject({ id: subId, items: [expect.objectContaining({ quantity: 3 })] });
    expect(cancel!.before).toMatchObject({ cancel_at_period_end: false });
    expect(cancel!.after).toMatchObject({ cancel_at_period_end: true });
    expect(resume!.after).toMatchObject({ cancel_at_period_end: false });

    // The Stripe request ids are those of the requests each step made: the checkout created the
    // customer and the session, and each change, cancel and resume updated the subscription.
    const customerCreated = await eventRequestIds('customer.created');
    expect(open!.stripe_request_ids).toEqual(expect.arrayContaining(customerCreated));
    const updates = await eventRequestIds('customer.subscription.updated');
    for (const r of [change, cancel, resume]) expect(updates.filter((id) => r!.stripe_request_ids.includes(id))).toHaveLength(1);
    const all = records.flatMap((r) => r.stripe_request_ids);
    expect(new Set(all).size).toBe(all.length);
  });

  it('records an admin session: merchant, application, catalog, secret rotation, partner keys, replay, reconcile and catalog sync', async () => {
    const admin = (method: 'post' | 'patch' | 'delete', path: string, body?: object) => {
      const req = s.admin(s.http()[method](path));
      return body ? req.send(body) : req;
    };
    const started = new Date().toISOString();
    expect((await admin('post', '/admin/merchants', { id: 'audit-merchant', display_name: 'Audit merchant', charge_model: 'platform' })).status).toBe(201);
    const created = await admin('post', '/admin/applications', { id: 'audit-app', name: 'Audit app', merchant_id: 'audit-merchant' });
    expect(created.status).toBe(201);
    secrets.push(created.body.webhook_secret);
    expect((await admin('patch', '/admin/applications/audit-app', { price_ids: [tier.monthly.id], allowed_origins: [ORIGIN] })).status).toBe(200);
    const rotated = await admin('post', '/admin/applications/audit-app/webhook-secret/rotate', { secret: 'whsec_auditRotatedSecret0123456789', overlap_hours: 1 });
    expect(rotated.status).toBe(200);
    secrets.push('whsec_auditRotatedSecret0123456789');
    const generated = await admin('post', '/admin/applications/audit-app/webhook-secret/rotate', {});
    secrets.push(generated.body.secret);
    const key = await admin('post', '/admin/applications/audit-app/api-keys', { name: 'audit partner' });
    expect(key.status).toBe(201);
    secrets.push(key.body.key);
    expect((await admin('delete', `/admin/applications/audit-app/api-keys/${key.body.id}`)).status).toBe(200);
    await s.settle();
    const [event] = (await s.admin(s.http().get('/admin/webhook-events')).query({ limit: 1 })).body.data;
    expect((await admin('post', `/admin/webhook-events/${event.id}/replay`)).status).toBe(200);
    const run = await admin('post', '/admin/reconcile-runs', { scope: 'account', account_id: 'AUDIT-CO', wait: true });
    expect(run.status).toBe(200);
    expect((await admin('post', '/admin/catalog-sync', { merchant_id: 'platform' })).status).toBe(200);
    // Refused: recorded as a failed attempt.
    expectError(await admin('patch', '/admin/applications/no-such-app', { name: 'x' }), 404, 'application_not_found');

    const records = await trail({ actor_type: 'admin', from: started });
    expect(records.map((r) => [r.action, r.outcome, r.status])).toEqual([
      ['merchant.create', 'success', 201],
      ['application.create', 'success', 201],
      ['application.update', 'success', 200],
      ['application.rotate-secret', 'success', 200],
      ['application.rotate-secret', 'success', 200],
      ['api-key.issue', 'success', 201],
      ['api-key.revoke', 'success', 200],
      ['webhook-event.replay', 'success', 200],
      ['reconcile.start', 'success', 200],
      ['catalog.sync', 'success', 200],
      ['application.update', 'error', 404],
    ]);
    for (const r of records) expect(r).toMatchObject({ actor_id: 'admin', subject: null, channel: 'api', operator: null });
    const [merchant, app, catalog, rotate, , issue, revoke, replay, reconcile, sync] = records;
    expect(merchant).toMatchObject({ merchant_id: 'audit-merchant', after: expect.objectContaining({ id: 'audit-merchant' }) });
    expect(app).toMatchObject({ application_id: 'audit-app', after: expect.objectContaining({ id: 'audit-app', webhook_secret: '[redacted]' }) });
    expect(catalog).toMatchObject({ before: expect.objectContaining({ price_ids: [] }), after: expect.objectContaining({ price_ids: [tier.monthly.id] }), params: { price_ids: [tier.monthly.id], allowed_origins: [ORIGIN] } });
    expect(rotate).toMatchObject({ params: { secret: '[redacted]', overlap_hours: 1 }, before: expect.objectContaining({ webhook_secrets_active: 1 }), after: expect.objectContaining({ webhook_secrets_active: 2 }) });
    expect(issue).toMatchObject({ before: [], after: [expect.objectContaining({ id: key.body.id, prefix: key.body.prefix, revoked_at: null })] });
    expect(revoke).toMatchObject({ target: { application_id: 'audit-app', key_id: key.body.id }, after: [expect.objectContaining({ id: key.body.id, revoked_at: expect.any(String) })] });
    expect(replay).toMatchObject({ target: { event_id: event.id }, before: expect.objectContaining({ state: 'processed' }), after: expect.objectContaining({ state: 'received' }) });
    expect(reconcile).toMatchObject({ account_id: 'AUDIT-CO', after: expect.objectContaining({ id: run.body.id, status: 'succeeded' }) });
    expect(reconcile!.stripe_request_ids.length).toBeGreaterThanOrEqual(run.body.stripe_calls);
    expect(sync!.stripe_request_ids.length).toBeGreaterThan(0);

    // No secret anywhere in the trail's table.
    const rows = await sqlOf(s)<{ row: string }>('select t::text as row from audit_records t');
    const text = rows.map((r) => r.row).join('\n');
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/whsec_\w{16}|psk_\w{16}|sk_test_\w{16}|eyJ\w+\./);
  });

  it('filters by account, application, actor, action, outcome, request id and time range, and pages with the cursor', async () => {
    const everything = await trail();
    expect(everything.length).toBeGreaterThan(10);
    const cancel = everything.find((r) => r.action === 'subscription.cancel')!;
    expect(await trail({ request_id: cancel.request_id })).toEqual([cancel]);
    expect((await trail({ action: 'subscription.change' })).map((r) => r.action)).toEqual(['subscription.change']);
    expect((await trail({ application_id: 'audit-app' })).every((r) => r.application_id === 'audit-app')).toBe(true);
    expect((await trail({ actor: 'AUDIT-CO' })).map((r) => r.action)).toEqual(everything.filter((r) => r.actor_id === 'AUDIT-CO').map((r) => r.action));
    expect((await trail({ outcome: 'error' })).map((r) => r.error_code)).toEqual(everything.filter((r) => r.outcome === 'error').map((r) => r.error_code));
    expect(await trail({ from: cancel.occurred_at, to: new Date(new Date(cancel.occurred_at).getTime() + 1).toISOString() })).toEqual(everything.filter((r) => r.occurred_at === cancel.occurred_at));
    expect(await trail({ to: everything[0]!.occurred_at })).toEqual([]);
    // Pages: the trail of two-record pages above is the one big page.
    const one = await s.admin(s.http().get('/admin/audit-records')).query({ limit: 500 });
    expect([...one.body.data].reverse()).toEqual(everything);
    expect(one.body.next_cursor).toBeNull();
  });

  it('refuses bad filters with 400 and a stable code', async () => {
    const list = (query: Record<string, string>) => s.admin(s.http().get('/admin/audit-records')).query(query);
    expectError(await list({ from: '2026-11-21T00:00:00Z', to: '2026-11-20T00:00:00Z' }), 400, 'invalid_time_range');
    for (const query of [{ from: 'yesterday' }, { limit: '0' }, { limit: '501' }, { cursor: 'abc' }, { actor_type: 'robot' }, { outcome: 'maybe' }, { action: 'DROP TABLE' }, { request_id: 'x' }, { application_id: 'Not An Id' }, { unknown: '1' }] as Record<string, string>[]) {
      expectError(await list(query), 400, 'validation_failed');
    }
    expectError(await s.http().get('/admin/audit-records'), 401, 'missing_token');
  });

  it('purges records older than AUDIT_RETENTION_DAYS, on one instance per tick', async () => {
    const retention = s.app.get(AuditRetention);
    const count = async () => Number((await sqlOf(s)<{ n: string }>('select count(*) as n from audit_records'))[0]!.n);
    const before = await count();
    expect(before).toBeGreaterThan(0);
    expect(await retention.purge(new Date())).toBe(0);
    expect(await retention.purge(new Date(Date.now() + 29 * 86_400_000))).toBe(0);
    expect(await count()).toBe(before);
    expect(await retention.purge(new Date(Date.now() + 31 * 86_400_000))).toBe(before);
    expect(await count()).toBe(0);
    // The purge is a scheduled job like the reconcile: the first instance to claim a tick runs it, a second one skips it.
    const tick = new Date('2026-11-30T04:41:00.002Z');
    const scheduled = s.app.get(ScheduledRuns);
    expect(await scheduled.claim('audit-purge', AUDIT_PURGE_CRON, tick)).toBe(true);
    expect(await scheduled.claim('audit-purge', AUDIT_PURGE_CRON, new Date(tick.getTime() + 3))).toBe(false);
  });
});
