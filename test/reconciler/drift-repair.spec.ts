import { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { createTier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';

describe('the reconciler repairs a mirror that missed every webhook', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(() => s.close());

  const rows = (sql: string, params: unknown[] = []) => (s.app.get(EntityManager).fork() as SqlEntityManager).execute<Record<string, any>[]>(sql, params);

  it('creates, updates and flags subscriptions to match Stripe after one run, in about one list call per 100', async () => {
    const tier = await createTier(s.stripe, 'standard', ['basic_features']);
    s.emulator.setWebhooksEnabled(false);
    const customers = await Promise.all(['A', 'B', 'C'].map((acc) => s.stripe.customers.create({ metadata: { account_id: acc } })));
    const subs = await Promise.all(
      customers.map((c) => s.stripe.subscriptions.create({ customer: c.id, items: [{ price: tier.monthly.id, quantity: 2 }], default_payment_method: 'pm_card_visa', metadata: { application_id: 'default' } })),
    );
    await s.stripe.subscriptions.update(subs[1]!.id, { cancel_at_period_end: true });
    await s.stripe.subscriptions.cancel(subs[2]!.id);
    // A row Stripe never had: flagged, not deleted, without allow_deletes.
    await rows(`insert into subscriptions (id, stripe_account, customer_id, status, stripe_created, raw, metadata, created_at, updated_at) values ('sub_ghost', 'platform', 'cus_ghost', 'active', now(), '{}', '{}', now(), now())`);

    const res = await s.admin(s.http().post('/admin/reconcile-runs')).send({ wait: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'succeeded', created: 3, flagged: 1, deleted: 0, error: null });
    expect(res.body.stripe_calls).toBeLessThanOrEqual(10);

    for (const sub of subs) {
      const stripeSub = await s.stripe.subscriptions.retrieve(sub.id);
      const [row] = await rows('select status, cancel_at_period_end, account_id from subscriptions where id = ?', [sub.id]);
      expect(row).toMatchObject({ status: stripeSub.status, cancel_at_period_end: stripeSub.cancel_at_period_end });
    }
    const [ghost] = await rows(`select missing_in_stripe_at from subscriptions where id = 'sub_ghost'`);
    expect(ghost!.missing_in_stripe_at).not.toBeNull();

    const again = await s.admin(s.http().post('/admin/reconcile-runs')).send({ wait: true, allow_deletes: true });
    expect(again.body).toMatchObject({ status: 'succeeded', created: 0, updated: 0, unchanged: 3, deleted: 1 });
    expect(await rows(`select id from subscriptions where id = 'sub_ghost'`)).toEqual([]);

    const list = await s.admin(s.http().get('/admin/reconcile-runs')).expect(200);
    expect(list.body.data.map((r: { id: string }) => r.id)).toEqual([again.body.id, res.body.id]);
  });
});
