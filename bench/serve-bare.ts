/**
 * Child process of the lookup benchmark: the floors of the stack, a pg pool running the very same
 * prepared statements as the service's two read paths (no auth, no limit, no validation, no
 * mapping): `/?company_id=` the partner lookup's, `/features?account_id=` the features query's.
 * Served by bare node:http (the floor the targets are set against), or with BARE_SERVER=fastify by
 * a bare Fastify with no plugin or hook, the framework the service is built on: what the framework
 * alone costs, so that the gap to node:http can be told apart from what the service adds.
 */
import { createServer } from 'node:http';
import Fastify from 'fastify';
import pg from 'pg';
import { LOOKUP_ONE } from '../src/app-payment-customers/contracts.read-model.js';
import { FEATURES_STATEMENT } from '../src/entitlements/features.read-model.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_MAX ?? 20) });

/** The answer's body of a path and its query string. */
async function answer(path: string, param: (name: string) => string): Promise<Record<string, unknown>> {
  if (path === '/features') {
    const [accountId, now] = [param('account_id'), new Date()];
    const result = await pool.query({ name: FEATURES_STATEMENT.name, text: FEATURES_STATEMENT.numbered, values: [accountId, 'default', now, accountId, 'platform', accountId, 'default', now] });
    return { data: result.rows };
  }
  const result = await pool.query({ name: LOOKUP_ONE.name, text: LOOKUP_ONE.numbered, values: [param('company_id'), 'platform', 'default', 'default', 'default'] });
  return { app_payment_customers: result.rows };
}

const listening = (port: number) => process.stdout.write(`LISTENING ${port}\n`);

if (process.env.BARE_SERVER === 'fastify') {
  const app = Fastify({ logger: false });
  const route = (path: string) => app.get(path, (request) => answer(path, (name) => (request.query as Record<string, string | undefined>)[name] ?? ''));
  route('/');
  route('/features');
  await app.listen({ port: 0, host: '127.0.0.1' });
  listening((app.server.address() as { port: number }).port);
  process.on('SIGTERM', () => void app.close().then(() => pool.end().then(() => process.exit(0))));
} else {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    answer(url.pathname, (name) => url.searchParams.get(name) ?? '').then(
      (body) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      },
      (error: Error) => {
        res.writeHead(500);
        res.end(error.message);
      },
    );
  });
  server.listen(0, '127.0.0.1', () => listening((server.address() as { port: number }).port));
  process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
}
