import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type Stripe from 'stripe';
import supertest from 'supertest';
import { createApp } from '../../src/bootstrap.js';
import { FollowingClock } from '../../src/infra/clock/emulator-clock.js';
import { ReconcileLock } from '../../src/reconciler/reconcile-lock.js';
import { createTier, type Tier } from '../support/catalog.js';
import { mirrorView, query, stripeView } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';
import { usingPostgres } from '../support/test-database.js';
import { expectMirrored, gate, onListing, postRun, reconcile, RUNS, type RunView, waitForRun } from './helpers.js';

/**
 * Issue 7, runs that meet each other: two starts at once (one runs, the other is refused), two
 * instances on one PostgreSQL (the advisory lock refuses the second), and a webhook applied while
 * a run holds an older listing of the same subscription (the newer state wins).
 */
describe('concurrent reconcile runs and webhooks during a run', () => {
  let s: Stack;
  let tier: Tier;
  let sub: Stripe.Subscription;

  beforeAll(async () => {
    s = await startStack();
    tier = await createTier(s.stripe, 'concurrent', ['concurrent_reports']);
    const customer = await s.stripe.customers.create({ metadata: { account_id: 'RACE-CO' } });
    sub = await s.stripe.subscriptions.create({ customer: customer.id, items: [{ price: tier.monthly.id, quantity: 1 }], default_payment_method: 'pm_card_visa', metadata: { application_id: 'default' } });
    await s.settle();
  });
  afterAll(() => s.close());

  it('two starts together: one runs, the other is refused with 409 reconcile_running; afterwards a new run starts', async () => {
    const held = gate();
    const restore = onListing(s, () => held.wait());
    let started: RunView;
    try {
      const [a, b] = await Promise.all([postRun(s, {}), postRun(s, { allow_deletes: true })]);
      const statuses = [a.status, b.status].sort();
      expect(statuses).toEqual([202, 409]);
      const [accepted, refused] = a.status === 202 ? [a, b] : [b, a];
      expect(refused.body.error).toMatchObject({ code: 'reconcile_running' });
      expect(accepted.body).toMatchObject({ status: 'running', scope: 'platform', finished_at: null });
      started = accepted.body as RunView;
      await held.arrived;
      // While it runs: still refused, whatever the scope that touches the same Stripe account.
      const third = await postRun(s, { scope: 'account', account_id: 'RACE-CO' });
      expect(third.status).toBe(409);
      expect(third.body.error.code).toBe('reconcile_running');
      expect((await s.admin(s.http().get(`${RUNS}/${started.id}`))).body.status).toBe('running');
    } finally {
      held.open();
      restore();
    }
    const finished = await waitForRun(s, started.id);
    expect(finished.status).toBe('succeeded');
    // The refused starts left no run behind.
    const runs = await s.admin(s.http().get(RUNS)).expect(200);
    expect(runs.body.data.map((r: RunView) => r.id)).toEqual([started.id]);
    expect((await reconcile(s)).status).toBe('succeeded');
  });

  it('a run that reads as ended has let go of its locks: a start the moment it ends is accepted', async () => {
    // Letting go of a lock takes a round trip to PostgreSQL; here it is made slow, so that a record
    // written before the locks are released would be seen while they are still held (CI saw that 409).
    const locks = s.app.get(ReconcileLock);
    const tryAcquire = locks.tryAcquire.bind(locks);
    locks.tryAcquire = async (key) => {
      const held = await tryAcquire(key);
      return held && { release: () => new Promise<void>((resolve) => setTimeout(resolve, 300)).then(() => held.release()) };
    };
    try {
      for (let i = 0; i < 3; i++) {
        const res = await postRun(s, { wait: false });
        expect(res.status).toBe(202);
        expect((await waitForRun(s, res.body.id)).status).toBe('succeeded');
        const next = await postRun(s, { wait: true });
        expect({ status: next.status, error: next.body.error }).toEqual({ status: 200, error: null });
      }
    } finally {
      locks.tryAcquire = tryAcquire;
    }
  });

  it('a webhook applied while the run holds an older listing of the subscription: the newer state stays', async () => {
    const held = gate();
    const restore = onListing(s, () => held.wait());
    let changed: Stripe.Subscription;
    try {
      const res = await postRun(s, { wait: false });
      expect(res.status).toBe(202);
      // Stripe has answered the listing (quantity 1); before the run applies it, the subscription changes and its webhook is applied.
      await held.arrived;
      changed = await s.stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, quantity: 9 }], proration_behavior: 'none' });
      await s.settle();
      expect((await mirrorView(s, sub.id))!.items).toEqual([{ price: tier.monthly.id, quantity: 9 }]);
      held.open();
      const run = await waitForRun(s, res.body.id);
      expect(run).toMatchObject({ status: 'succeeded', created: 0, updated: 0, error: null });
    } finally {
      held.open();
      restore();
    }
    expect((await mirrorView(s, sub.id))!.items).toEqual([{ price: tier.monthly.id, quantity: 9 }]);
    expect(await mirrorView(s, sub.id)).toEqual(stripeView(changed));
    await expectMirrored(s, sub.id);
  });

  if (usingPostgres()) {
    describe('two instances on one PostgreSQL database', () => {
      let second: NestFastifyApplication;
      beforeAll(async () => {
        second = await createApp({ ...s.config }, { clock: new FollowingClock(s.emulator) });
        await second.listen(0, '127.0.0.1');
      });
      afterAll(() => second.close());

      const onSecond = (body: Record<string, unknown>) => supertest(second.getHttpServer()).post(RUNS).set('authorization', `Bearer ${s.config.ADMIN_TOKEN}`).send(body);

      it('the advisory lock refuses the second instance while the first runs, and lets it run afterwards', async () => {
        const held = gate();
        const restore = onListing(s, () => held.wait());
        let first: RunView;
        try {
          const res = await postRun(s, {});
          expect(res.status).toBe(202);
          first = res.body as RunView;
          await held.arrived;
          const refused = await onSecond({ wait: true });
          expect(refused.status).toBe(409);
          expect(refused.body.error.code).toBe('reconcile_running');
        } finally {
          held.open();
          restore();
        }
        expect((await waitForRun(s, first.id)).status).toBe('succeeded');
        const afterwards = await onSecond({ wait: true });
        expect(afterwards.status).toBe(200);
        expect(afterwards.body).toMatchObject({ status: 'succeeded', unchanged: 1 });
        // Both instances record into, and read from, the one table.
        const runs = await query<{ id: string }>(s, 'select id from reconcile_runs where id in (?, ?)', [first.id, afterwards.body.id]);
        expect(runs).toHaveLength(2);
      });
    });
  }
});
