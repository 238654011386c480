import { writeFileSync } from 'node:fs';
import { ApplicationsService } from '../src/tenancy/applications.service.js';
import { refuseConnections } from './support/database-outage.js';
import { accountToken, startTestApp, type TestApp } from './support/test-app.js';
import { usingPostgres } from './support/test-database.js';
import { appWithCapturedLog } from './support/captured-log.js';
import { stripeEvent, stripeSignature, webhookPath } from './support/webhooks.js';

/*
 * A file of its own on purpose (as auth-logs.spec.ts): nestjs-pino builds one pino logger per
 * module registry, and the first app started wins. Here the only app logs at info.
 */
type Line = Record<string, unknown> & { req?: { id?: string }; msg?: string };

/**
 * The request log line is an operations contract: one per request, with the same fields in the
 * same order whichever way the route is served (a fast route or Nest's pipeline), at the level its
 * status says, and every line logged while a request is served carries that request (`req`).
 */
describe(`the request log on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  const captured = appWithCapturedLog(() => startTestApp({ LOG_LEVEL: 'info', WEBHOOK_WORKER_ENABLED: 'false' }));
  let t: TestApp;
  let apiKey = '';
  beforeAll(async () => {
    t = captured.app();
    apiKey = (await t.admin(t.http().post('/admin/applications/default/api-keys')).send({ name: 'logged' }).expect(201)).body.key as string;
  });
  /** The log lines since the last `clear()`, parsed. */
  const lines = {
    clear: () => void (captured.lines.length = 0),
    all: () => captured.lines.map((text) => JSON.parse(text) as Line),
  };

  const requestLines = (id: string) => lines.all().filter((l) => l.req?.id === id);

  it('one line per request, the same fields in the same order, at the level of its status', async () => {
    const token = await accountToken({ acc: 'ACME', role: 'owner' });
    const secret = (await t.app.get(ApplicationsService).currentWebhookSecrets('default'))[0]!;
    const event = stripeEvent('payment_intent.created', { id: 'pi_1', object: 'payment_intent' }).body;
    const calls: [id: string, status: number, level: number, send: () => Promise<unknown>][] = [
      ['log-lookup-ok-0001', 200, 30, () => t.http().get('/api/applications/default/app-payment-customers?company_id=1001').set('authorization', `Bearer ${apiKey}`).set('x-request-id', 'log-lookup-ok-0001').set('user-agent', 'log-test/1.0').expect(200)],
      ['log-lookup-401-0002', 401, 40, () => t.http().get('/api/applications/default/app-payment-customers?company_id=1001').set('x-request-id', 'log-lookup-401-0002').expect(401)],
      ['log-features-0003', 200, 30, () => t.http().get('/api/subscriptions/features').set('authorization', `Bearer ${token}`).set('x-request-id', 'log-features-0003').expect(200)],
      ['log-webhook-0004', 200, 30, () => t.http().post(webhookPath('default')).set('content-type', 'application/json').set('stripe-signature', stripeSignature(secret, event)).set('x-request-id', 'log-webhook-0004').send(event).expect(200)],
      ['log-webhook-400-0005', 400, 40, () => t.http().post(webhookPath('default')).set('content-type', 'application/json').set('stripe-signature', 't=1,v1=00').set('x-request-id', 'log-webhook-400-0005').send(event).expect(400)],
      ['log-nest-route-0006', 200, 30, () => t.http().get('/api/subscriptions').set('authorization', `Bearer ${token}`).set('x-request-id', 'log-nest-route-0006').expect(200)],
      ['log-admin-0007', 200, 30, () => t.admin(t.http().get('/admin/applications/default')).set('x-request-id', 'log-admin-0007').expect(200)],
      ['log-not-found-0008', 404, 40, () => t.http().get('/api/nothing-here?x=1').set('x-request-id', 'log-not-found-0008').expect(404)],
    ];
    lines.clear();
    for (const [, , , send] of calls) await send();
    // The line is written when the response has finished, possibly just after the client read it.
    await new Promise((resolve) => setTimeout(resolve, 50));

    const seen: unknown[] = [];
    for (const [id, status, level] of calls) {
      const mine = requestLines(id);
      expect(mine).toHaveLength(1);
      const line = mine[0]!;
      expect(Object.keys(line)).toEqual(['level', 'time', 'pid', 'hostname', 'req', 'res', 'responseTime', 'msg']);
      expect(line).toMatchObject({ level, msg: 'request completed', pid: process.pid, res: { statusCode: status } });
      expect(Object.keys(line.req!)).toEqual(['id', 'method', 'url', 'headers']);
      expect(Object.keys(line.res as object)).toEqual(['statusCode', 'headers']);
      expect(typeof line.responseTime).toBe('number');
      // The response's headers as sent, the request's by allow-list.
      expect((line.res as { headers: Record<string, unknown> }).headers['x-request-id']).toBe(id);
      expect((line.req as { headers: Record<string, unknown> }).headers['x-request-id']).toBe(id);
      seen.push(normalise(line));
    }
    expect(requestLines('log-lookup-ok-0001')[0]!.req).toMatchObject({ method: 'GET', url: '/api/applications/default/app-payment-customers?company_id=1001', headers: { 'user-agent': 'log-test/1.0', authorization: '[redacted]' } });
    expect(requestLines('log-not-found-0008')[0]!.req).toMatchObject({ url: '/api/nothing-here?x=1' });
    // To compare the lines of two builds field for field (what changes by nature normalised away).
    if (process.env.REQUEST_LOG_DUMP) writeFileSync(process.env.REQUEST_LOG_DUMP, `${JSON.stringify(seen, null, 2)}\n`);
  });

  if (usingPostgres()) {
    it('a line logged while a request is served carries the request; a 503 is logged as an error with the request', async () => {
      const down = await refuseConnections(t.config.DATABASE_URL);
      try {
        lines.clear();
        const token = await accountToken({ acc: 'DOWN' });
        await t.http().get('/api/subscriptions/features').set('authorization', `Bearer ${token}`).set('x-application-id', 'nope').set('x-request-id', 'log-down-0009').expect(503);
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        await down.allow();
      }
      const mine = requestLines('log-down-0009');
      // The request limit's store and the error filter both say what failed, each with the request.
      expect(mine.find((l) => l.context === 'RequestLimits')).toMatchObject({ level: 40, req: { id: 'log-down-0009' } });
      const warning = mine.find((l) => l.context === 'Errors');
      expect(warning).toMatchObject({ level: 40, context: 'Errors', req: { id: 'log-down-0009', method: 'GET', url: '/api/subscriptions/features' } });
      expect(String(warning!.msg)).toContain('database connection lost');
      const last = mine.at(-1)!;
      expect(Object.keys(last)).toEqual(['level', 'time', 'pid', 'hostname', 'req', 'res', 'err', 'responseTime', 'msg']);
      expect(last).toMatchObject({ level: 50, msg: 'request errored', res: { statusCode: 503 }, err: { message: 'failed with status code 503' } });
    });
  }
});

/** A line without what differs from run to run (times, ids, dates, the limit window's remaining seconds). */
function normalise(line: Line): unknown {
  const { time: _time, responseTime: _responseTime, pid: _pid, ...rest } = line;
  const res = rest.res as { statusCode: number; headers: Record<string, unknown> };
  const headers = Object.fromEntries(Object.entries(res.headers).map(([name, value]) => [name, ['date', 'x-ratelimit-reset', 'etag'].includes(name) ? '*' : value]));
  const req = rest.req as { headers: Record<string, unknown> };
  const reqHeaders = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, ['host', 'stripe-signature', 'content-length'].includes(name) ? '*' : value]));
  return { ...rest, req: { ...req, headers: reqHeaders }, res: { ...res, headers } };
}
