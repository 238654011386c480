import type { TestApp } from '../support/test-app.js';

interface Operation {
  operationId?: string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
}
interface Schema {
  properties?: Record<string, { example?: unknown; $ref?: string; type?: string; items?: unknown; allOf?: unknown }>;
  required?: string[];
}

/**
 * Called from a spec that has an app running (to spare a boot). `/docs-json` describes every route the two subscriptions controllers actually serve (read from
 * the HTTP router, so a route added without docs fails here), each with its request body schema,
 * its answer's schema and the error format.
 */
export const describeSwagger = (app: () => TestApp) => describe('Swagger: the subscriptions routes', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
  beforeAll(async () => {
    t = app();
    const res = await t.http().get('/docs-json');
    expect(res.status).toBe(200);
    doc = res.body;
  });

  /** Routes the server really has, from Fastify's router: `METHOD /path/{param}`. */
  function servedRoutes(): string[] {
    return t.routes
      .filter((route) => /^\/api\/(subscriptions|accounts\/:account_id\/subscriptions)/.test(route.url) && route.method !== 'HEAD')
      .map((route) => `${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`)
      .sort();
  }
  const documented = () =>
    Object.entries(doc.paths)
      .filter(([path]) => /^\/api\/(subscriptions|accounts\/\{account_id\}\/subscriptions)/.test(path))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();

  const schemaOf = (ref: string | undefined) => {
    expect(ref).toMatch(/^#\/components\/schemas\//);
    const schema = doc.components.schemas[ref!.split('/').pop()!];
    expect(schema).toBeDefined();
    return schema!;
  };

  it('lists every route of both controllers, and only those', () => {
    const served = servedRoutes();
    // 13 per route set, the account reads (catalog, invoices, account) and the change preview of each route set.
    expect(served).toHaveLength(31);
    expect(documented()).toEqual(served);
    for (const route of ['GET /api/subscriptions/merchants', 'POST /api/subscriptions/{subscription_id}/change', 'POST /api/accounts/{account_id}/subscriptions/stripe/checkout-session-sync', 'POST /api/accounts/{account_id}/subscriptions/resume']) {
      expect(served).toContain(route);
    }
  });

  it('every operation has a unique id, a 200 answer with a schema, the error format for 401/403, and no parameter twice', () => {
    const ids = new Set<string>();
    for (const route of documented()) {
      const [method, path] = route.split(' ') as [string, string];
      const op = doc.paths[path]![method.toLowerCase()]!;
      expect(op.operationId).toBeTruthy();
      expect(ids.has(op.operationId!)).toBe(false);
      ids.add(op.operationId!);
      const ok = schemaOf(op.responses['200']?.content?.['application/json']?.schema.$ref);
      expect(Object.keys(ok.properties ?? {}).length).toBeGreaterThan(0);
      for (const status of ['401', '403']) {
        const error = schemaOf(op.responses[status]?.content?.['application/json']?.schema.$ref);
        expect(Object.keys(error.properties ?? {})).toEqual(['error']);
      }
      const names = (op.parameters ?? []).map((p) => `${p.in}:${p.name.toLowerCase()}`);
      expect([route, names]).toEqual([route, [...new Set(names)]]);
    }
  });

  it('every POST with a body documents it, with an example for each field', () => {
    const withoutBody = ['POST /api/subscriptions/sync', 'POST /api/accounts/{account_id}/subscriptions/sync', 'POST /api/subscriptions/{subscription_id}/resume'];
    for (const route of documented().filter((r) => r.startsWith('POST ') && !withoutBody.includes(r))) {
      const [, path] = route.split(' ') as [string, string];
      const op = doc.paths[path]!.post!;
      const schema = schemaOf(op.requestBody?.content['application/json']?.schema.$ref);
      expect(Object.keys(schema.properties ?? {}).length).toBeGreaterThan(0);
      for (const [field, property] of Object.entries(schema.properties ?? {})) {
        expect([route, field, property.example !== undefined]).toEqual([route, field, true]);
      }
    }
    const sync = doc.paths['/api/subscriptions/sync']!.post!;
    expect(sync.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'allow_deletes', in: 'query' })]));
    expect(doc.paths['/api/subscriptions/{subscription_id}/change']!.post!.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'subscription_id', in: 'path' }), expect.objectContaining({ name: 'idempotency-key', in: 'header' })]),
    );
  });

  it('the shapes match what the API answers: a subscription view and the change request', () => {
    expect(Object.keys(doc.components.schemas.SubscriptionView!.properties!)).toEqual(
      expect.arrayContaining(['id', 'status', 'cancel_at_period_end', 'current_period_end', 'access_until', 'has_access', 'items']),
    );
    expect(Object.keys(doc.components.schemas.ChangeSubscriptionWithIdDto!.properties!).sort()).toEqual(['interval', 'price_id', 'proration_behavior', 'quantity', 'subscription_id']);
    expect(doc.components.schemas.CancelSubscriptionDto!.required).toEqual(['timing']);
  });
});
