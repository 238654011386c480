import { readFile } from 'node:fs/promises';
import { DOCUMENT_URL, generateSchema, SCHEMA_URL } from '../scripts/generate.js';

/**
 * The client follows the committed OpenAPI document: its types are what openapi-typescript makes
 * of openapi/openapi.json today, and every operation of the document has a method. A document
 * regenerated without the client's types (or a route added without a method) fails here, and so CI.
 */
describe('the client and the committed OpenAPI document', () => {
  it('src/schema.d.ts is what openapi-typescript makes of openapi/openapi.json (run npm run generate -w @billing/client and commit it when this fails)', async () => {
    const [committed, generated] = await Promise.all([readFile(SCHEMA_URL, 'utf8'), generateSchema()]);
    if (committed !== generated) {
      // Name the first line that differs, so that the failure says where the types lag behind.
      const a = committed.split('\n');
      const b = generated.split('\n');
      const line = a.findIndex((text, i) => text !== b[i]);
      expect({ line: line + 1, committed: a[line], generated: b[line] }).toEqual({ line: line + 1, committed: b[line], generated: b[line] });
    }
    expect(committed).toBe(generated);
  });

  it('every operation of the document is called by a method of the client', async () => {
    const document = JSON.parse(await readFile(DOCUMENT_URL, 'utf8')) as { paths: Record<string, Record<string, { operationId?: string }>> };
    const source = await readFile(new URL('../src/client.ts', import.meta.url), 'utf8');
    // Not for client code: Stripe calls the webhook intake, load balancers the health check.
    const notForClients = new Set(['POST /api/applications/{application_id}/subscriptions/stripe/webhook', 'GET /health', 'GET /health/live', 'GET /health/ready']);
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.length).toBeGreaterThan(40);
    const missing = operations.filter((op) => !notForClients.has(op)).filter((op) => {
      const [method, path] = op.split(' ');
      return !source.includes(`http.${method}('${path}'`);
    });
    expect(missing).toEqual([]);
  });
});
