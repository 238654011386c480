import { ApplicationsService } from '../../src/tenancy/applications.service.js';
import { InboxRepository } from '../../src/webhooks/inbox.repository.js';
import { holdingLock, until } from '../support/held-lock.js';
import { startStack, type Stack } from '../support/stack.js';
import { usingPostgres } from '../support/test-database.js';
import { postWebhook, query, stripeEvent, stripeSignature } from '../support/webhooks.js';

/**
 * Deliveries arriving together share the intake's statements (issue 17). Each must still be
 * answered for its own event: stored once, a duplicate told so, and one that PostgreSQL cannot take
 * as sent neither failing its neighbours nor lost.
 */
describe('webhook deliveries arriving together', () => {
  let s: Stack;
  let secret: string;
  beforeAll(async () => {
    s = await startStack();
    [secret] = await s.app.get(ApplicationsService).currentWebhookSecrets('default');
  });
  afterAll(() => s.close());

  const deliver = (body: string) => postWebhook(s.http, 'default', body, stripeSignature(secret, body));
  const anEvent = (i: number) => stripeEvent('payment_intent.created', { id: `pi_together_${i}`, object: 'payment_intent', amount: i });
  /**
   * Sends `bodies` all at once, and makes sure, on PostgreSQL, that they share statements: a first
   * delivery is held in its statement (the row of its event id inserted by an open transaction
   * here, so its insert waits for that transaction) until all of them wait for the next statement,
   * then let go. (PGlite is one connection in this process, which such a transaction would hold: there
   * they are only sent at once.) The answers, in the order of `bodies`.
   */
  async function deliverTogether(bodies: string[]) {
    if (!usingPostgres()) return Promise.all(bodies.map((body) => deliver(body).then((res) => res)));
    const first = stripeEvent('payment_intent.created', { id: 'pi_first', object: 'payment_intent' });
    const insertFirst = `insert into webhook_events (id, application_id, stripe_account, type, stripe_created, payload, state, attempts, next_attempt_at, received_at)
      values ($1, 'default', 'platform', 'payment_intent.created', 0, '{}', 'received', 0, now(), now())`;
    return holdingLock(s.config.DATABASE_URL!, [[insertFirst, [first.id]]], async (held) => {
      const heldDelivery = deliver(first.body).then((res) => res);
      await until(async () => (await held.blocked('%insert into webhook_events%')) === 1);
      const answers = bodies.map((body) => deliver(body).then((res) => res));
      const inbox = s.app.get(InboxRepository);
      await until(() => inbox.insertsWaiting() === bodies.length);
      await held.release();
      expect((await heldDelivery).body).toEqual({ received: true, duplicate: false });
      return Promise.all(answers);
    });
  }

  it('stores each of 60 concurrent deliveries once, and tells each re-delivery of the same event that it is a duplicate', async () => {
    const events = Array.from({ length: 40 }, (_, i) => anEvent(i));
    // Every fourth event is delivered twice more at the same moment (Stripe retrying a slow answer).
    const deliveries = [...events, ...events.filter((_, i) => i % 4 === 0).flatMap((e) => [e, e])];
    const answers = await deliverTogether(deliveries.map((e) => e.body));

    expect(answers.map((a) => a.status)).toEqual(deliveries.map(() => 200));
    for (const event of events) {
      const mine = answers.filter((_, i) => deliveries[i]!.id === event.id).map((a) => (a.body as { duplicate: boolean }).duplicate);
      // Exactly one delivery of each event stored it; every other one heard it was a duplicate.
      expect(mine.filter((duplicate) => !duplicate)).toHaveLength(1);
    }
    const stored = await query<{ id: string; amount: number }>(s.app, `select id, (payload->'data'->'object'->>'amount')::int as amount from webhook_events where id in (?)`, [events.map((e) => e.id)]);
    expect(new Map(stored.map((r) => [r.id, r.amount]))).toEqual(new Map(events.map((e, i) => [e.id, i])));
  });

  it('stores a signed event holding a number beyond PostgreSQL\'s range (as parsed, with a note and the signed bytes), without failing the deliveries beside it', async () => {
    const neighbours = Array.from({ length: 20 }, (_, i) => anEvent(100 + i));
    const odd = stripeEvent('payment_intent.created', { id: 'pi_huge', object: 'payment_intent' });
    // JSON allows it, JavaScript parses it (to Infinity), PostgreSQL's numeric refuses it.
    const oddBody = odd.body.replace('"object":"payment_intent"', '"object":"payment_intent","amount":1e1000000');
    // The odd one among its neighbours, in the same statement.
    const [answer, ...others] = await deliverTogether([oddBody, ...neighbours.map((e) => e.body)]);

    expect(others.map((a) => [a.status, a.body])).toEqual(neighbours.map(() => [200, { received: true, duplicate: false }]));
    expect([answer!.status, answer!.body]).toEqual([200, { received: true, duplicate: false }]);
    expect((await deliver(oddBody)).body).toEqual({ received: true, duplicate: true });

    const stored = (await s.admin(s.http().get(`/admin/webhook-events/${odd.id}`)).expect(200)).body as { payload_note: string; payload: { data: { object: { amount: unknown } } } };
    expect(stored.payload_note).toMatch(/number beyond its range/);
    expect(stored.payload.data.object.amount).toBeNull();
    const [raw] = await query<{ raw_body: Buffer }>(s.app, 'select raw_body from webhook_events where id = ?', [odd.id]);
    expect(Buffer.from(raw!.raw_body).toString('utf8')).toBe(oddBody);
    // Each neighbour stored as it was sent: no note, no copy of its bytes.
    const rows = await query<{ id: string; payload_note: string | null; raw_body: Buffer | null }>(s.app, 'select id, payload_note, raw_body from webhook_events where id in (?)', [neighbours.map((e) => e.id)]);
    expect(rows.map((r) => [r.payload_note, r.raw_body]).sort()).toEqual(neighbours.map(() => [null, null]));
  });
});
