/**
 * Child process of the webhooks benchmark: the floor of webhook intake, a bare node:http server
 * with a pg pool that checks the Stripe-Signature (HMAC-SHA256 of `t.body`, within 300 s) and
 * inserts the raw event into the same `webhook_events` table, once per id (no framework, no
 * application lookup, no payload checks). WEBHOOK_SECRET is the secret it accepts. With
 * BARE_SERVER=fastify the same intake is served by a bare Fastify (no plugin, no hook; the body kept
 * as bytes, as the service's parser keeps them for the signature): the framework's own cost.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_MAX ?? 20) });
const secret = process.env.WEBHOOK_SECRET ?? '';
const INSERT = `insert into webhook_events (id, application_id, stripe_account, type, stripe_created, api_version, livemode, payload, state, attempts, next_attempt_at, received_at)
  values ($1, 'default', coalesce($2, 'platform'), $3, $4, $5, $6, $7::jsonb, 'received', 0, now(), now()) on conflict (id) do nothing`;

function verified(body: Buffer, header: string | undefined): boolean {
  const parts = new Map((header ?? '').split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = Buffer.from(parts.get('v1') ?? '', 'hex');
  if (!Number.isFinite(t) || Math.abs(Date.now() / 1000 - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  return v1.length === expected.length && timingSafeEqual(v1, expected);
}

/** Checks and stores one delivery: the status and body of the answer. */
async function intake(body: Buffer, signature: string | undefined): Promise<{ status: number; body: string }> {
  if (!verified(body, signature)) return { status: 400, body: '' };
  const event = JSON.parse(body.toString('utf8')) as { id: string; account?: string; type: string; created: number; api_version?: string; livemode?: boolean };
  await pool.query({ name: 'insert_event', text: INSERT, values: [event.id, event.account ?? null, event.type, event.created, event.api_version ?? null, event.livemode ?? false, body.toString('utf8')] });
  return { status: 200, body: '{"received":true}' };
}

const listening = (port: number) => process.stdout.write(`LISTENING ${port}\n`);

if (process.env.BARE_SERVER === 'fastify') {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post('/', async (request, reply) => {
    const answer = await intake(request.body as Buffer, request.headers['stripe-signature'] as string | undefined);
    return reply.code(answer.status).type('application/json').send(answer.body);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  listening((app.server.address() as { port: number }).port);
  process.on('SIGTERM', () => void app.close().then(() => pool.end().then(() => process.exit(0))));
} else {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      intake(Buffer.concat(chunks), req.headers['stripe-signature'] as string | undefined).then(
        (answer) => {
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(answer.body);
        },
        (error: Error) => {
          res.writeHead(500);
          res.end(error.message);
        },
      );
    });
  });
  server.listen(0, '127.0.0.1', () => listening((server.address() as { port: number }).port));
  process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
}
