/**
 * Child process of the lookup benchmark: the floor of the stack, a bare node:http server with a
 * pg pool running the very same prepared lookup statement (no framework, no auth, no validation, no mapping).
 */
import { createServer } from 'node:http';
import pg from 'pg';
import { LOOKUP_ONE } from '../src/app-payment-customers/contracts.read-model.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_MAX ?? 20) });

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const companyId = url.searchParams.get('company_id') ?? '';
  pool.query({ name: LOOKUP_ONE.name, text: LOOKUP_ONE.numbered, values: [companyId, 'platform', 'default', 'default', 'default'] }).then(
    (result) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ app_payment_customers: result.rows }));
    },
    (error: Error) => {
      res.writeHead(500);
      res.end(error.message);
    },
  );
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${(server.address() as { port: number }).port}\n`));
process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
