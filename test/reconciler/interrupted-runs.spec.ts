import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import supertest from 'supertest';
import { createApp } from '../../src/bootstrap.js';
import { FollowingClock } from '../../src/infra/clock/emulator-clock.js';
import { ReconcileRunsRepository } from '../../src/reconciler/reconcile-runs.repository.js';
import { ReconcilerService } from '../../src/reconciler/reconciler.service.js';
import { createTier } from '../support/catalog.js';
import { control, query } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';
import { usingPostgres } from '../support/test-database.js';
import { gate, onListing, reconcile, RUNS, type RunView } from './helpers.js';

/**
 * Runs whose instance does not see them to their end: a deploy stops it in the middle (SIGTERM,
 * app.close), or it crashes. Their records must not say `running` for ever, and their locks must
 * not keep the next run out.
 */
const BULK_ACCOUNT = 'acct_StoppedBulk0001';

describe('reconcile runs whose instance stops or is gone', () => {
  let s: Stack;
  const run = async (id: string): Promise<RunView> => (await s.admin(s.http().get(`${RUNS}/${id}`)).expect(200)).body as RunView;
  /** A record as an instance that crashed mid-run leaves it: `running`, with no instance and no lock behind it. */
  const leftRunning = async (scope: 'platform' | 'merchant', merchantId: string | null = null) =>
    (await s.app.get(ReconcileRunsRepository).start({ scope, merchantId, accountId: null, trigger: 'schedule', allowDeletes: false })).id;

  beforeAll(async () => {
    s = await startStack();
    const tier = await createTier(s.stripe, 'interrupted', ['interrupted_reports']);
    const customer = await s.stripe.customers.create({ metadata: { account_id: 'STOPPED-CO' } });
    await s.stripe.subscriptions.create({ customer: customer.id, items: [{ price: tier.monthly.id, quantity: 1 }], default_payment_method: 'pm_card_visa', metadata: { application_id: 'default' } });
    const account = await s.connectedAccount('acct_StoppedShop01');
    await s.admin(s.http().post('/admin/merchants')).send({ id: 'stopped-shop', display_name: 'Shop', charge_model: 'direct', stripe_account_id: account }).expect(201);
    await s.settle();
  });
  afterAll(() => s.close());

  it('a run left running by an instance that is gone is closed as interrupted by the next run that holds all its Stripe accounts, and only by such a run', async () => {
    const platformOnly = await leftRunning('platform');
    const shopOnly = await leftRunning('merchant', 'stopped-shop');
    // The platform merchant's run holds the platform account only: the platform-wide record touches the shop's account too, so both stay.
    expect(await reconcile(s, { scope: 'merchant', merchant_id: 'platform' })).toMatchObject({ status: 'succeeded' });
    expect([(await run(platformOnly)).status, (await run(shopOnly)).status]).toEqual(['running', 'running']);
    // The shop's run holds its account: the shop's record is closed, the platform-wide one still waits.
    expect(await reconcile(s, { scope: 'merchant', merchant_id: 'stopped-shop' })).toMatchObject({ status: 'succeeded' });
    expect(await run(shopOnly)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted: the instance running it is gone/) });
    expect((await run(shopOnly)).finished_at).not.toBeNull();
    expect((await run(platformOnly)).status).toBe('running');
    // A platform run holds every account: it closes the last one, and itself runs as usual.
    const platform = await reconcile(s);
    expect(platform).toMatchObject({ status: 'succeeded', error: null });
    expect(await run(platformOnly)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted/) });
    // No record says running any more.
    const runs = (await s.admin(s.http().get(RUNS)).expect(200)).body.data as RunView[];
    expect(runs.filter((r) => r.status === 'running')).toEqual([]);
  });

  if (usingPostgres()) {
    describe('an instance stopped in the middle of a run (a second instance on the same database)', () => {
      let second: NestFastifyApplication;
      let stopped = false;
      beforeEach(async () => {
        second = await createApp({ ...s.config }, { clock: new FollowingClock(s.emulator) });
        await second.listen(0, '127.0.0.1');
        stopped = false;
      });
      afterEach(async () => {
        if (!stopped) await second.close();
      });
      const startOnSecond = (body: Record<string, unknown>) => supertest(second.getHttpServer()).post(RUNS).set('authorization', `Bearer ${s.config.ADMIN_TOKEN}`).send(body);

      it('between two pages: it lists no further page, writes the one in hand, and records itself as interrupted with what it did', async () => {
        await s.admin(s.http().post('/admin/merchants')).send({ id: 'stopped-bulk', display_name: 'Bulk', charge_model: 'direct', stripe_account_id: BULK_ACCOUNT }).expect(201);
        await control(s, 'POST', '/_emulator/seed', { count: 250, account: BULK_ACCOUNT });
        const held = gate();
        const restore = onListing({ app: second }, (n) => (n === 1 ? held.wait() : undefined));
        // The stop reaches the run while its first page is in hand: the gate opens once the run has been told to stop.
        const reconciler = second.get(ReconcilerService);
        const stopHook = reconciler.beforeApplicationShutdown.bind(reconciler);
        reconciler.beforeApplicationShutdown = () => {
          const stopping = stopHook();
          held.open();
          return stopping;
        };
        try {
          const started = await startOnSecond({ scope: 'merchant', merchant_id: 'stopped-bulk' });
          expect(started.status).toBe(202);
          await held.arrived;
          stopped = true;
          await second.close();
          const record = await run(started.body.id);
          expect(record).toMatchObject({ status: 'failed', created: 100, stripe_calls: expect.any(Number), error: expect.stringMatching(/^interrupted: the instance running it stopped/) });
          expect(record.finished_at).not.toBeNull();
          const [{ n }] = await query<{ n: number }>(s, 'select count(*)::int as n from subscriptions where stripe_account = ?', [BULK_ACCOUNT]);
          expect(n).toBe(100);
          // The next run, on the other instance, finishes the job.
          expect(await reconcile(s, { scope: 'merchant', merchant_id: 'stopped-bulk' })).toMatchObject({ status: 'succeeded', created: 150, unchanged: 100, error: null });
        } finally {
          held.open();
          restore();
        }
      });

      it('while its run waits on Stripe: the run is recorded as interrupted and its locks let go', async () => {
        const held = gate();
        const restore = onListing({ app: second }, () => held.wait());
        try {
          const started = await startOnSecond({});
          expect(started.status).toBe(202);
          await held.arrived;
          // Stripe has not answered this run's listing yet (the gate stays shut) when the instance is told to stop.
          stopped = true;
          await second.close();
          expect(await run(started.body.id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted: the instance running it stopped/) });
          // Its locks are gone with it: the other instance reconciles at once.
          expect(await reconcile(s)).toMatchObject({ status: 'succeeded', error: null });
        } finally {
          held.open();
          restore();
        }
      });
    });
  }
});
