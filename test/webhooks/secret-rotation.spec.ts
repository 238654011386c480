import { AdjustableClock } from '../../src/infra/clock/clock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usingPostgres } from '../support/test-database.js';
import { countWebhookEvents, postWebhook, query, stripeEvent, stripeSignature } from '../support/webhooks.js';

/**
 * The intake keeps an application's webhook secrets in memory (a webhook costs one statement), yet
 * a secret that ends stops verifying at once on every instance, and a new one verifies at once.
 */
describe('webhook secrets as the intake sees them while they are rotated', () => {
  const clock = new AdjustableClock();
  const apps: TestApp[] = [];
  let first: TestApp;
  /** Another instance on the same database on PostgreSQL; the same one on PGlite (one process). */
  let second: TestApp;
  beforeAll(async () => {
    first = await startTestApp({ WEBHOOK_WORKER_ENABLED: 'false' }, { clock });
    apps.push(first);
    second = usingPostgres() ? await startTestApp({ WEBHOOK_WORKER_ENABLED: 'false' }, { clock }, { databaseUrl: first.config.DATABASE_URL }) : first;
    if (second !== first) apps.push(second);
  });
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
  });

  const send = async (t: TestApp, applicationId: string, secret: string) => {
    const { id, body } = stripeEvent('payment_intent.created', { id: 'pi_rotation', object: 'payment_intent' });
    const res = await postWebhook(t.http, applicationId, body, stripeSignature(secret, body));
    return { id, status: res.status, code: (res.body as { error?: { code: string } }).error?.code, duplicate: (res.body as { duplicate?: boolean }).duplicate };
  };
  const newApplication = async (id: string) => {
    const created = await first.admin(first.http().post('/admin/applications')).send({ id, name: id, merchant_id: 'platform' }).expect(201);
    return (created.body as { webhook_secret: string }).webhook_secret;
  };
  const rotate = (t: TestApp, id: string, body: Record<string, unknown>) => t.admin(t.http().post(`/admin/applications/${id}/webhook-secret/rotate`)).send(body).expect(200);

  it('a rotation without overlap on another instance stops the old secret at once, and the new one verifies at once', async () => {
    const old = await newApplication('rotate-now');
    // Both instances have verified with the old secret (and keep it in memory).
    expect(await send(first, 'rotate-now', old)).toMatchObject({ status: 200, duplicate: false });
    expect(await send(second, 'rotate-now', old)).toMatchObject({ status: 200, duplicate: false });

    const rotated = await rotate(second, 'rotate-now', { secret: 'whsec_rotatedWithoutOverlap', overlap_hours: 0 });
    expect(rotated.body).toMatchObject({ secret: 'whsec_rotatedWithoutOverlap' });
    const before = await countWebhookEvents(first.app);
    for (const t of [first, second]) {
      expect(await send(t, 'rotate-now', old)).toMatchObject({ status: 400, code: 'invalid_signature' });
      expect(await send(t, 'rotate-now', 'whsec_rotatedWithoutOverlap')).toMatchObject({ status: 200, duplicate: false });
    }
    expect(await countWebhookEvents(first.app)).toBe(before + 2);
  });

  it('a change the instance was not told of (a notification still on its way or lost) is seen at once all the same', async () => {
    const old = await newApplication('rotate-unannounced');
    expect(await send(first, 'rotate-unannounced', old)).toMatchObject({ status: 200 });
    // Written behind the service's back: no instance hears of it.
    await query(first.app, `update webhook_secrets set expires_at = ? where application_id = ?`, [new Date(clock.now().getTime() - 1000), 'rotate-unannounced']);
    await query(first.app, `insert into webhook_secrets (id, application_id, secret, created_at) values (gen_random_uuid(), ?, ?, ?)`, [
      'rotate-unannounced',
      'whsec_writtenBehindItsBack',
      clock.now(),
    ]);
    expect(await send(first, 'rotate-unannounced', old)).toMatchObject({ status: 400, code: 'invalid_signature' });
    expect(await send(first, 'rotate-unannounced', 'whsec_writtenBehindItsBack')).toMatchObject({ status: 200, duplicate: false });
  });

  it('keeps the old secret for the overlap and refuses it once the overlap is over, by the service clock', async () => {
    const old = await newApplication('rotate-overlap');
    expect(await send(first, 'rotate-overlap', old)).toMatchObject({ status: 200 });
    await rotate(first, 'rotate-overlap', { secret: 'whsec_rotatedWithOverlap', overlap_hours: 1 });
    for (const t of [first, second]) {
      expect(await send(t, 'rotate-overlap', old)).toMatchObject({ status: 200 });
      expect(await send(t, 'rotate-overlap', 'whsec_rotatedWithOverlap')).toMatchObject({ status: 200 });
    }
    clock.advance(3601);
    for (const t of [first, second]) {
      expect(await send(t, 'rotate-overlap', old)).toMatchObject({ status: 400, code: 'invalid_signature' });
      expect(await send(t, 'rotate-overlap', 'whsec_rotatedWithOverlap')).toMatchObject({ status: 200 });
    }
  });

  it('an unknown application is a 404, and one created on another instance a moment later is found at once', async () => {
    for (const t of [first, second]) expect(await send(t, 'created-later', 'whsec_nothingYet')).toMatchObject({ status: 404, code: 'application_not_found' });
    const secret = await newApplication('created-later');
    expect(await send(second, 'created-later', secret)).toMatchObject({ status: 200 });
    expect(await send(first, 'created-later', secret)).toMatchObject({ status: 200 });
  });

  it('a delivery of an event stored already is acknowledged as a duplicate and stored once', async () => {
    const secret = await newApplication('duplicates');
    const { id, body } = stripeEvent('payment_intent.created', { id: 'pi_duplicate', object: 'payment_intent' });
    const answers = await Promise.all([first, second, first].map((t) => postWebhook(t.http, 'duplicates', body, stripeSignature(secret, body))));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.filter((a) => (a.body as { duplicate: boolean }).duplicate === false)).toHaveLength(1);
    expect(await query(first.app, 'select id from webhook_events where id = ?', [id])).toHaveLength(1);
  });
});
