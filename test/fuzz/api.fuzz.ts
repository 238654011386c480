import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { ApplicationsService } from '../../src/tenancy/applications.service.js';
import { WebhookWorker } from '../../src/webhooks/webhook-worker.service.js';
import { createTier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { accountToken } from '../support/test-app.js';
import { countWebhookEvents, query, webhookPath } from '../support/webhooks.js';
import { describeRequest, RawClient, type RawRequest, type RawResponse } from './client.js';
import {
  BODY_KINDS,
  bodyArbitraries,
  claimArbitrary,
  deepArray,
  fiveMegabytes,
  headerArbitrary,
  percentEncode,
  RawJson,
  toJson,
  URL_KINDS,
  urlArbitraries,
  VALUE_KINDS,
  valueArbitraries,
  type Json,
} from './inputs.js';

/**
 * The fuzz suite (`npm run test:fuzz`, not part of `npm test`): every operation of the service's
 * own OpenAPI document (read from /docs-json), with each credential (owner account token, partner
 * API key, admin token, a correctly signed account token whose claims are hostile) and none, gets
 * hostile path parameters, query strings, headers and bodies; the default application's webhook
 * endpoint gets correctly signed Stripe events with hostile payloads, which the worker then
 * applies. Whatever arrives, the answer is below 500, a refused request writes nothing (row counts
 * of the main tables before and after each request), and the process is healthy at the end.
 *
 * A fixed sweep (every operation × credential, every input kind at every place it fits) comes
 * first, then FUZZ_RUNS random requests (webhook events: a fixed sweep, then FUZZ_WEBHOOK_RUNS,
 * a third of FUZZ_RUNS by default). The default keeps one run near a minute on a 2-core machine,
 * so that CI's two (PostgreSQL, PGlite) stay near two minutes. Reproducible: the fast-check seed
 * is printed first and FUZZ_SEED=<seed> replays the same inputs.
 * LOG_LEVEL=error shows the service's own log of each 500 (matched by the request id printed here);
 * FUZZ_TRACE=1 prints every request and its answer.
 */

const envInt = (name: string, fallback: number) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
};
const FUZZ_RUNS = envInt('FUZZ_RUNS', 1000);
const FUZZ_WEBHOOK_RUNS = envInt('FUZZ_WEBHOOK_RUNS', Math.ceil(FUZZ_RUNS / 3));
const SEED = envInt('FUZZ_SEED', Math.floor(Math.random() * 2 ** 31));
/** FUZZ_TRACE=1 prints every request with its answer, to see what an input kind gets. */
const TRACE = Boolean(process.env.FUZZ_TRACE);
/** One request may be slow (a 5 MB body, a loaded machine), but an answer that never comes is a failure too. */
const REQUEST_TIMEOUT_MS = 30_000;
/** The suite's 180 s, or more when FUZZ_RUNS asks for more requests (about 10 ms each, 40 ms a webhook event, on a loaded machine several times that). */
const TEST_TIMEOUT_MS = Math.max(180_000, (FUZZ_RUNS + 4 * FUZZ_WEBHOOK_RUNS) * 100);

const ACCOUNT = 'FUZZ';
const ORIGIN = 'https://app.example.com';
/** Tables whose row counts a refused request must leave as they were. */
const TABLES = ['subscriptions', 'subscription_items', 'invoices', 'identities', 'trials', 'webhook_events', 'applications', 'application_prices', 'webhook_secrets', 'partner_api_keys', 'merchants', 'reconcile_runs'];

type Cred = 'owner' | 'partner' | 'admin' | 'none' | 'odd-token';
const CREDS: Cred[] = ['owner', 'partner', 'admin', 'none', 'odd-token'];

interface Schema {
  properties?: Record<string, { example?: unknown; enum?: unknown[]; type?: string; default?: unknown }>;
  required?: string[];
}
interface Operation {
  label: string;
  method: string;
  template: string;
  pathParams: string[];
  queryParams: string[];
  idempotencyKey: boolean;
  schema?: Schema;
  cred: Cred;
}

type Mutation =
  | { where: 'none'; kind: 'valid' }
  | { where: 'field'; kind: string; value: Json; pick: number }
  | { where: 'body'; kind: string; body: Buffer }
  | { where: 'path'; kind: string; segment: string; pick: number }
  | { where: 'query'; kind: string; value: string; pick: number; shape: 'single' | 'repeated' | 'bracket' }
  | { where: 'header'; kind: string; value: string; pick: number };

interface Failure {
  phase: string;
  key: string;
  text: string;
}

describe('fuzz: hostile input never gets a 5xx, and a refused request writes nothing', () => {
  let s: Stack;
  let client: RawClient;
  let ops: Operation[];
  let webhookSecret: string;
  /** Real ids, so that well-formed parts of a request get past lookups to the code behind them. */
  const pool: Record<string, Json> = {};
  const eventIds: string[] = [];
  const tokens: Partial<Record<Cred, string>> = {};

  const statuses = new Map<string, number>();
  let total = 0;
  let webhookTotal = 0;
  const failures: Failure[] = [];
  const writes: Failure[] = [];

  beforeAll(async () => {
    process.stdout.write(`fuzz: seed=${SEED} FUZZ_RUNS=${FUZZ_RUNS} FUZZ_WEBHOOK_RUNS=${FUZZ_WEBHOOK_RUNS} (FUZZ_SEED=${SEED} reproduces this run)\n`);
    // No request limits: the fuzzer sends thousands of requests as one account, key and address, and
    // must reach the code behind the limits (test/request-limits.spec.ts tests them).
    const unlimited = { THROTTLE_ACCOUNT_LIMIT: '0', THROTTLE_PARTNER_LIMIT: '0', THROTTLE_IP_LIMIT: '0', THROTTLE_WEBHOOK_LIMIT: '0', AUTH_FAILURE_LIMIT: '0' };
    s = await startStack({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', ...unlimited });
    const url = new URL(s.baseUrl);
    client = new RawClient(url.hostname, Number(url.port), REQUEST_TIMEOUT_MS);
    await setUp();
  });

  afterAll(async () => {
    const byStatus = [...statuses.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([status, n]) => `${status}=${n}`).join(' ');
    const fivexx = [...statuses.entries()].filter(([status]) => Number(status) >= 500).reduce((sum, [, n]) => sum + n, 0);
    process.stdout.write(`fuzz summary: seed=${SEED} requests=${total} (signed webhook events ${webhookTotal}) statuses ${byStatus} 5xx = ${fivexx} writes-on-refusal = ${writes.length}\n`);
    client?.close();
    await s?.close();
  });

  /** The state the fuzzer starts from: a paid subscription, a partner key, a reconcile run, a catalog, with its ids in the pool. */
  async function setUp(): Promise<void> {
    const adminHeaders = { authorization: `Bearer ${s.config.ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = adminHeaders) => {
      const res = await client.send({ method, path, headers, body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)) });
      if (res.status >= 300) throw new Error(`set-up ${method} ${path}: ${res.status} ${res.body}`);
      return JSON.parse(res.body) as Record<string, any>;
    };

    const tier = await createTier(s.stripe, 'fuzz', ['fuzz_feature']);
    await call('PATCH', '/admin/applications/default', { price_ids: [tier.monthly.id, tier.yearly.id], allowed_origins: [ORIGIN] });
    tokens.owner = await accountToken({ acc: ACCOUNT, role: 'owner' });
    tokens.partner = (await call('POST', '/admin/applications/default/api-keys', { name: 'fuzz partner' })).key as string;
    // A second key, for the revoke route to find (revoking the fuzzer's own key would turn its partner requests into 401s).
    const victimKey = (await call('POST', '/admin/applications/default/api-keys', { name: 'fuzz victim' })).id as string;
    tokens.admin = s.config.ADMIN_TOKEN;

    const ownerHeaders = { authorization: `Bearer ${tokens.owner}`, 'content-type': 'application/json' };
    const session = await call('POST', '/api/subscriptions/stripe/checkout-session', { price_id: tier.monthly.id, success_url: `${ORIGIN}/ok`, cancel_url: `${ORIGIN}/no` }, ownerHeaders);
    await s.payCheckout(session.id as string);
    await s.settle();
    const subscriptions = (await call('GET', '/api/subscriptions', undefined, ownerHeaders)).data as { id: string; customer_id: string }[];
    if (subscriptions.length !== 1) throw new Error(`set-up: expected one subscription, got ${JSON.stringify(subscriptions)}`);
    const run = await call('POST', '/admin/reconcile-runs', { scope: 'platform', wait: true });
    // From here on the emulator keeps its events to itself: the only writers are the fuzzer's own requests.
    s.emulator.setWebhooksEnabled(false);
    [webhookSecret] = await s.app.get(ApplicationsService).currentWebhookSecrets('default');

    const sub = subscriptions[0]!;
    Object.assign(pool, {
      account_id: ACCOUNT,
      application_id: 'default',
      merchant_id: 'platform',
      key_id: victimKey,
      run_id: run.id as string,
      subscription_id: sub.id,
      session_id: session.id as string,
      price_id: tier.monthly.id,
      price_ids: [tier.monthly.id, tier.yearly.id],
      allowed_origins: [ORIGIN],
      success_url: `${ORIGIN}/ok`,
      cancel_url: `${ORIGIN}/no`,
      return_url: `${ORIGIN}/settings`,
      company_id: ACCOUNT,
      company_ids: [ACCOUNT, 'nobody'],
      limit: '10',
      state: 'failed',
      type: 'invoice.paid',
      flag: 'unknown_account',
      allow_deletes: 'false',
    });
    eventBases.push(...(await realEventObjects(sub.id, sub.customer_id, session.id as string, tier.product.id, tier.monthly.id)));

    const docs = await client.send({ method: 'GET', path: '/docs-json', headers: {} });
    expect(docs.status).toBe(200);
    ops = operationsOf(JSON.parse(docs.body));
    expect(ops.length).toBeGreaterThan(40);
  }

  // ---- bookkeeping ---------------------------------------------------------------------------

  async function counts(): Promise<Record<string, number>> {
    const [row] = await query<Record<string, string>>(s.app, `select ${TABLES.map((t) => `(select count(*) from ${t}) as ${t}`).join(', ')}`);
    return Object.fromEntries(TABLES.map((t) => [t, Number(row![t])]));
  }

  /** Background work an accepted request may start (a reconcile run answered with 202) is over. */
  async function quiesce(): Promise<void> {
    for (let i = 0; i < 600; i++) {
      const [row] = await query<{ n: string }>(s.app, `select count(*) as n from reconcile_runs where status = 'running'`);
      if (Number(row!.n) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('a reconcile run did not finish within a minute');
  }

  /**
   * Sends one request, with the table counts before and after: a refusal (4xx) that changed a count
   * is recorded as a write, a 5xx or no answer as a failure. Accepted mutations may write; the next
   * request starts once their background work is done.
   */
  async function run(phase: string, label: string, kind: string, cred: string, req: RawRequest): Promise<RawResponse> {
    const before = await counts();
    const res = await client.send(req);
    total++;
    const statusKey = res.status > 0 ? String(res.status) : res.status === 0 ? 'no-connection' : 'no-answer';
    statuses.set(statusKey, (statuses.get(statusKey) ?? 0) + 1);
    const where = `${phase} ${label} kind=${kind} cred=${cred}`;
    const detail = () => `${where}\n    request: ${describeRequest(req)}\n    answer: ${res.status} ${res.error ?? res.body.slice(0, 500)} (x-request-id ${res.requestId ?? '-'})`;
    if (TRACE) process.stdout.write(`${detail()}\n`);
    if (res.status >= 500 || res.status === -1) {
      failures.push({ phase, key: `${label} ${res.status} kind=${kind} cred=${cred.split('{')[0]}`, text: detail() });
    } else if (res.status === 0 && !(req.body && req.body.length >= fiveMegabytes().length)) {
      // A connection cut while a 5 MB body is still being written is the server refusing it early; any other cut is not an answer.
      failures.push({ phase, key: `${label} connection-error kind=${kind}`, text: detail() });
    }
    if (res.status >= 400 || res.status <= 0) {
      const after = await counts();
      const changed = TABLES.filter((t) => after[t] !== before[t]).map((t) => `${t} ${before[t]}→${after[t]}`);
      if (changed.length > 0) writes.push({ phase, key: `${label} ${res.status} kind=${kind}`, text: `${detail()}\n    wrote: ${changed.join(', ')}` });
    } else if (req.method !== 'GET') {
      await quiesce();
    }
    return res;
  }

  const report = (list: Failure[]) => {
    const distinct = new Map<string, { count: number; first: string }>();
    for (const f of list) {
      const seen = distinct.get(f.key);
      if (seen) seen.count++;
      else distinct.set(f.key, { count: 1, first: f.text });
    }
    return [...distinct.entries()].map(([key, { count, first }]) => `${key} (${count}×), first: ${first}`);
  };

  // ---- requests from the OpenAPI document ----------------------------------------------------

  function operationsOf(doc: { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, Schema> } }): Operation[] {
    const credOf = (security: Record<string, unknown>[] | undefined): Cred => {
      const scheme = Object.keys(security?.[0] ?? {})[0];
      return scheme === 'account-jwt' ? 'owner' : scheme === 'partner-api-key' ? 'partner' : scheme === 'admin-token' ? 'admin' : 'none';
    };
    return Object.entries(doc.paths).flatMap(([template, byMethod]) =>
      Object.entries(byMethod).map(([method, op]) => {
        const params = (op.parameters ?? []) as { in: string; name: string }[];
        const ref = Object.values((op.requestBody?.content ?? {}) as Record<string, { schema?: { $ref?: string } }>)[0]?.schema?.$ref;
        return {
          label: `${method.toUpperCase()} ${template}`,
          method: method.toUpperCase(),
          template,
          // From the template itself: not every operation documents its path parameters.
          pathParams: [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
          queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
          idempotencyKey: params.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key'),
          schema: ref ? doc.components.schemas[ref.split('/').pop()!] : undefined,
          cred: credOf(op.security),
        };
      }),
    );
  }

  const takesBody = (op: Operation) => op.method !== 'GET';
  function locationsOf(op: Operation): Mutation['where'][] {
    const where: Mutation['where'][] = ['query', 'header'];
    if (takesBody(op)) where.push('field', 'body');
    if (op.pathParams.length > 0) where.push('path');
    return where;
  }

  /** A well-formed body: pooled real ids, else the documented examples. */
  function validBody(op: Operation): Record<string, Json> | undefined {
    if (!op.schema?.properties) return takesBody(op) ? {} : undefined;
    const body: Record<string, Json> = {};
    for (const [name, prop] of Object.entries(op.schema.properties)) {
      const value = pool[name] ?? prop.example ?? prop.default ?? prop.enum?.[0];
      if (value !== undefined) body[name] = value as Json;
    }
    return body;
  }

  /** The credential's headers, the account id its path parameter takes, and how to name it in a report (the token itself is cut there). */
  async function credHeaders(cred: Cred, claim: Json, claimSlot: number): Promise<{ headers: Record<string, string>; account: string; who: string }> {
    if (cred === 'none') return { headers: {}, account: ACCOUNT, who: cred };
    if (cred === 'odd-token') {
      const claims: Record<string, unknown> = { acc: ACCOUNT, role: 'owner' };
      claims[['acc', 'role', 'app'][claimSlot % 3]!] = claim;
      const account = claimSlot % 3 === 0 && typeof claim === 'string' ? percentEncode(claim) : ACCOUNT;
      const shown = JSON.stringify(claims, (_k, v: unknown) => (typeof v === 'string' && v.length > 40 ? `${v.slice(0, 40)}…(${v.length} chars)` : v));
      return { headers: { authorization: `Bearer ${await accountToken(claims)}` }, account, who: `odd-token${shown}` };
    }
    return { headers: { authorization: `Bearer ${tokens[cred]}` }, account: ACCOUNT, who: cred };
  }

  async function buildRequest(op: Operation, cred: Cred, m: Mutation, claim: Json = '\u0000', claimSlot = 0): Promise<{ req: RawRequest; who: string }> {
    const { headers, account, who } = await credHeaders(cred, claim, claimSlot);
    const segments: Record<string, string> = {};
    for (const name of op.pathParams) segments[name] = name === 'account_id' ? account : percentEncode(String(pool[name] ?? 'x'));
    if (m.where === 'path') segments[op.pathParams[m.pick % op.pathParams.length]!] = m.segment;
    const path = op.template.replace(/\{(\w+)\}/g, (_, name: string) => segments[name]!);

    const queryNames = [...op.queryParams, 'fuzz'];
    const queryParts = op.queryParams.map((name) => `${name}=${percentEncode(String(pool[name] ?? 'x'))}`);
    if (m.where === 'query') {
      const name = queryNames[m.pick % queryNames.length]!;
      const kept = queryParts.filter((part) => !part.startsWith(`${name}=`));
      const odd = m.shape === 'repeated' ? [`${name}=${m.value}`, `${name}=${m.value}`] : m.shape === 'bracket' ? [`${name}[]=${m.value}`, `${name}[a][b]=${m.value}`] : [`${name}=${m.value}`];
      queryParts.splice(0, queryParts.length, ...kept, ...odd);
    }
    const url = queryParts.length > 0 ? `${path}?${queryParts.join('&')}` : path;

    if (op.idempotencyKey) headers['idempotency-key'] = `fuzz-${total}`;
    if (m.where === 'header') headers[['x-application-id', 'idempotency-key', 'x-api-key', 'x-request-id'][m.pick % 4]!] = m.value;

    let body: Buffer | undefined;
    if (m.where === 'body') body = m.body;
    else {
      const value = validBody(op);
      if (value && m.where === 'field') {
        const names = [...Object.keys(op.schema?.properties ?? {}), 'fuzz_extra'];
        value[names[m.pick % names.length]!] = m.value;
      }
      if (value) body = Buffer.from(toJson(value));
    }
    if (body) headers['content-type'] = 'application/json';
    return { req: { method: op.method, path: url, headers, body }, who };
  }

  const sampleOne = <T>(arb: fc.Arbitrary<T>, step: number): T => fc.sample(arb, { seed: (SEED + step) % 2 ** 31, numRuns: 1 })[0]!;

  /** A hostile input for one place of a request; of the given kind, or of any kind that fits there. */
  function mutationArbitrary(where: Mutation['where'], only?: string): fc.Arbitrary<Mutation> {
    const kindOf = <K extends string>(kinds: readonly K[]) => (only === undefined ? fc.constantFrom(...kinds) : fc.constant(only as K));
    switch (where) {
      case 'field':
        return kindOf(VALUE_KINDS).chain((kind) => fc.record({ where: fc.constant('field' as const), kind: fc.constant(kind), value: valueArbitraries[kind], pick: fc.nat() }));
      case 'body':
        return kindOf(BODY_KINDS).chain((kind) => fc.record({ where: fc.constant('body' as const), kind: fc.constant(kind), body: bodyArbitraries[kind] }));
      case 'path':
        return kindOf(URL_KINDS).chain((kind) => fc.record({ where: fc.constant('path' as const), kind: fc.constant(kind), segment: urlArbitraries[kind], pick: fc.nat() }));
      case 'query':
        return kindOf(URL_KINDS).chain((kind) =>
          fc.record({ where: fc.constant('query' as const), kind: fc.constant(kind), value: urlArbitraries[kind], pick: fc.nat(), shape: fc.constantFrom('single' as const, 'repeated' as const, 'bracket' as const) }),
        );
      case 'header':
        return fc.record({ header: headerArbitrary, pick: fc.nat() }).map(({ header, pick }) => ({ where: 'header' as const, kind: header.kind, value: header.value, pick }));
      default:
        return fc.constant({ where: 'none' as const, kind: 'valid' as const });
    }
  }

  /**
   * The fixed sweep: every operation with every credential (well-formed request), then with its
   * own credential every kind of hostile value at every place it can go, and every kind of hostile
   * body without credentials too (bodies are read before guards run).
   */
  function* sweep(): Generator<{ op: Operation; cred: Cred; m: Mutation }> {
    let step = 0;
    for (const op of ops) {
      for (const cred of CREDS) yield { op, cred, m: { where: 'none', kind: 'valid' } };
      for (const where of locationsOf(op)) {
        // Headers: one request per header (x-application-id, idempotency-key, x-api-key, x-request-id), each with a sampled kind of value.
        const kinds: readonly (string | undefined)[] = where === 'field' ? VALUE_KINDS : where === 'body' ? BODY_KINDS : where === 'header' ? [undefined, undefined, undefined, undefined] : URL_KINDS;
        for (const [slot, kind] of kinds.entries()) {
          for (const cred of where === 'body' ? [op.cred, 'none' as const] : [op.cred]) {
            const m = sampleOne(mutationArbitrary(where, kind), step++);
            if (m.where === 'header') m.pick = slot;
            yield { op, cred, m };
          }
        }
      }
    }
  }

  // ---- signed webhook events -----------------------------------------------------------------

  /** Real Stripe objects of the set-up (through the SDK, from the emulator) as `data.object` of the event types the service handles, and one it ignores. */
  const eventBases: { type: string; object: Record<string, Json>; account?: string }[] = [];
  async function realEventObjects(subscriptionId: string, customerId: string, sessionId: string, productId: string, priceId: string) {
    const plain = (o: unknown) => JSON.parse(JSON.stringify(o)) as Record<string, Json>;
    const sub = await s.stripe.subscriptions.retrieve(subscriptionId);
    const invoice = await s.stripe.invoices.retrieve(sub.latest_invoice as string);
    const customer = await s.stripe.customers.retrieve(customerId);
    const session = await s.stripe.checkout.sessions.retrieve(sessionId);
    const product = await s.stripe.products.retrieve(productId);
    const price = await s.stripe.prices.retrieve(priceId);
    return [
      { type: 'customer.subscription.created', object: plain(sub) },
      { type: 'customer.subscription.updated', object: plain(sub) },
      { type: 'customer.subscription.deleted', object: plain({ ...sub, status: 'canceled' }) },
      { type: 'invoice.paid', object: plain(invoice) },
      { type: 'invoice.payment_failed', object: plain(invoice) },
      { type: 'checkout.session.completed', object: plain(session) },
      { type: 'customer.updated', object: plain(customer) },
      { type: 'product.updated', object: plain(product) },
      { type: 'price.updated', object: plain(price) },
      { type: 'account.application.deauthorized', object: { id: 'ca_fuzz', object: 'application' }, account: 'acct_fuzz' },
      { type: 'payment_intent.created', object: { id: 'pi_fuzz', object: 'payment_intent', amount: 1000 } },
    ];
  }

  const WEBHOOK_KINDS = ['nul', 'lone-surrogate', 'created-huge', 'huge-number', 'missing-field', 'deep-nesting', 'wrong-type', 'array-for-string', 'unicode', 'dot-dot', 'invalid-utf8', 'odd-id', '5mb-body'] as const;
  type WebhookKind = (typeof WEBHOOK_KINDS)[number];
  /** Stands for bytes that are not UTF-8 until the body is serialised. */
  const BAD_BYTES_MARK = '\u0001fuzz-bad-bytes\u0001';

  /** Paths to every leaf of an event (envelope fields included), with what is there. */
  function leaves(value: Json, path: string[] = []): { path: string[]; value: Json }[] {
    if (value !== null && typeof value === 'object' && !(value instanceof RawJson)) {
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
      const below = entries.flatMap(([k, v]) => leaves(v, [...path, k]));
      return path.length > 0 ? [{ path, value }, ...below] : below;
    }
    return [{ path, value }];
  }
  function setAt(root: Record<string, Json>, path: string[], value: Json | undefined): void {
    let node: any = root;
    for (const key of path.slice(0, -1)) node = node[key];
    const last = path[path.length - 1]!;
    if (value === undefined) {
      if (Array.isArray(node)) node.splice(Number(last), 1);
      else delete node[last];
    } else node[last] = value;
  }

  const webhookMutation = fc.record({ kind: fc.constantFrom(...WEBHOOK_KINDS), pick: fc.nat(), value: fc.constantFrom(...VALUE_KINDS).chain((k) => valueArbitraries[k]), inside: fc.constantFrom('\u0000', '\ud800', '\udfff') });
  type WebhookMutation = { kind: WebhookKind; pick: number; value: Json; inside: string };

  let eventSeq = 0;
  /** A signed event: a real object under a fresh event id, with the mutations applied; the signature covers the exact bytes sent. */
  function signedEvent(base: (typeof eventBases)[number], mutations: WebhookMutation[]): { id: string; body: Buffer; signature: string } {
    const id = `evt_fuzz_${SEED.toString(36)}_${(eventSeq++).toString(36)}`;
    const event: Record<string, Json> = { id, object: 'event', api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1, type: base.type, data: { object: structuredClone(base.object) } };
    if (base.account) event.account = base.account;
    let big = false;
    for (const m of mutations) {
      const all = leaves(event);
      const choose = <T>(list: T[]): T | undefined => (list.length > 0 ? list[m.pick % list.length] : undefined);
      // An earlier mutation may have left no string or number leaf (data: null): any leaf will do then.
      const stringLeaf = choose(all.filter((l) => typeof l.value === 'string')) ?? choose(all);
      const numberLeaf = choose(all.filter((l) => typeof l.value === 'number')) ?? choose(all);
      const anyLeaf = choose(all);
      const text = typeof stringLeaf?.value === 'string' ? stringLeaf.value : 'x';
      switch (m.kind) {
        case 'nul':
        case 'lone-surrogate': {
          const inside = m.kind === 'nul' ? '\u0000' : m.inside === '\u0000' ? '\ud800' : m.inside;
          if (stringLeaf) setAt(event, stringLeaf.path, `${text.slice(0, 3)}${inside}${text.slice(3)}`);
          break;
        }
        case 'created-huge':
          event.created = choose<Json>([1e300, -1, 2 ** 63, new RawJson('1e400'), String(event.created), null, 1.5])!;
          break;
        case 'huge-number':
          if (numberLeaf) setAt(event, numberLeaf.path, choose<Json>([1e300, -1, 2 ** 63, new RawJson('9223372036854775808'), new RawJson('1e400'), -0, 5e-324])!);
          break;
        case 'missing-field':
          if (anyLeaf) setAt(event, anyLeaf.path, undefined);
          break;
        case 'deep-nesting':
          if (anyLeaf) setAt(event, anyLeaf.path, new RawJson(m.pick % 2 === 0 ? deepArray(10_000) : `{"a":${deepArray(10_000)}}`));
          break;
        case 'wrong-type':
          if (anyLeaf) setAt(event, anyLeaf.path, choose<Json>([true, null, 0, {}, [], 'string'])!);
          break;
        case 'array-for-string':
          if (stringLeaf) setAt(event, stringLeaf.path, [text]);
          break;
        case 'unicode':
        case 'dot-dot':
          if (stringLeaf) setAt(event, stringLeaf.path, m.kind === 'dot-dot' ? '../../../etc/passwd' : typeof m.value === 'string' && m.value !== '' ? m.value : '日本語\u202e😀');
          break;
        case 'invalid-utf8':
          if (stringLeaf) setAt(event, stringLeaf.path, BAD_BYTES_MARK);
          break;
        case 'odd-id':
          event.id = choose([`evt_${'\u0000'}`, 'evt_\ud800', `evt_${'x'.repeat(300)}`, 'evt_../..', 'evt_日本', `${id}\u0000`])!;
          break;
        case '5mb-body':
          big = true;
          break;
      }
    }
    // At the top level, which no mutation replaces by something that cannot hold it.
    if (big) event.pad = 'x'.repeat(5 * 1024 * 1024);
    const text = toJson(event);
    const marker = JSON.stringify(BAD_BYTES_MARK);
    const body = Buffer.concat(text.split(marker).flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [Buffer.from([0x22, 0xed, 0xa0, 0x80, 0xff, 0x22]), Buffer.from(part)])));
    const t = Math.floor(Date.now() / 1000);
    const signature = `t=${t},v1=${createHmac('sha256', webhookSecret).update(`${t}.`).update(body).digest('hex')}`;
    return { id, body, signature };
  }

  /** Events answered 200 as new that left no row behind. */
  const notStored: Failure[] = [];
  async function sendEvent(kind: string, event: { id: string; body: Buffer; signature: string }, type: string): Promise<void> {
    const req = { method: 'POST', path: webhookPath('default'), headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': event.signature }, body: event.body };
    const label = `POST /api/applications/{application_id}/subscriptions/stripe/webhook (${type})`;
    const before = await countWebhookEvents(s.app);
    const res = await run('webhook', label, kind, 'signed', req);
    webhookTotal++;
    if (res.status !== 200) return;
    eventIds.push(event.id);
    const duplicate = (JSON.parse(res.body) as { duplicate?: boolean }).duplicate;
    const stored = (await countWebhookEvents(s.app)) - before;
    if (stored !== (duplicate ? 0 : 1)) notStored.push({ phase: 'webhook', key: `${label} kind=${kind}`, text: `${describeRequest(req)}\n    answer: 200 ${res.body}, rows added: ${stored}` });
  }

  it('answers signed Stripe events with odd payloads below 500, stores the accepted ones and nothing of the refused ones', async () => {
    let step = 0;
    for (const base of eventBases) {
      for (const kind of WEBHOOK_KINDS) {
        const m = sampleOne(webhookMutation, 100_000 + step++);
        await sendEvent(kind, signedEvent(base, [{ ...m, kind }]), base.type);
      }
    }
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...eventBases), fc.array(webhookMutation, { minLength: 1, maxLength: 3 }), async (base, mutations) => {
        await sendEvent(mutations.map((m) => m.kind).join('+'), signedEvent(base, mutations), base.type);
      }),
      { seed: SEED, numRuns: FUZZ_WEBHOOK_RUNS, endOnFailure: true },
    );
    // Some events must get through, or the sweep tested only the refusals.
    expect(eventIds.length).toBeGreaterThan(eventBases.length);
    // The stored events are path parameters for the admin routes that show and replay them.
    pool.event_id = eventIds[0]!;

    // The worker applies what was stored: whatever the payload, it must not throw out of its loop.
    const worker = s.app.get(WebhookWorker);
    await expect(worker.drain()).resolves.toEqual(expect.any(Number));
    const outcomes = await query<{ state: string; last_error: string | null; n: string }>(s.app, 'select state, left(last_error, 160) as last_error, count(*) as n from webhook_events group by 1, 2 order by 3 desc');
    process.stdout.write(`fuzz: stored events after the worker: ${outcomes.map((o) => `${o.state}${o.last_error ? ` (${o.last_error})` : ''} ×${o.n}`).join('; ')}\n`);

    expect({ fivexx: report(failures.filter((f) => f.phase === 'webhook')), writesOnRefusal: report(writes.filter((f) => f.phase === 'webhook')), acceptedNotStored: report(notStored) }).toEqual({
      fivexx: [],
      writesOnRefusal: [],
      acceptedNotStored: [],
    });
  }, TEST_TIMEOUT_MS);

  it('answers every operation of the OpenAPI document, fuzzed, below 500, and writes nothing when it refuses', async () => {
    let count = 0;
    for (const { op, cred, m } of sweep()) {
      const { req, who } = await buildRequest(op, cred, m);
      await run('sweep', op.label, m.kind, who, req);
      count++;
    }
    expect(count).toBeGreaterThan(ops.length * CREDS.length);

    const randomRequest = fc
      .record({ op: fc.constantFrom(...ops), cred: fc.constantFrom(...CREDS), claim: claimArbitrary, claimSlot: fc.nat() })
      .chain((r) => fc.constantFrom(...locationsOf(r.op), 'none' as const).chain((where) => mutationArbitrary(where).map((m) => ({ ...r, m }))));
    await fc.assert(
      fc.asyncProperty(randomRequest, async ({ op, cred, claim, claimSlot, m }) => {
        const { req, who } = await buildRequest(op, cred, m, claim, claimSlot);
        await run('random', op.label, m.kind, who, req);
      }),
      // The property records instead of throwing, so that one run lists every distinct 5xx; nothing to shrink.
      { seed: SEED, numRuns: FUZZ_RUNS, endOnFailure: true },
    );

    expect({ fivexx: report(failures.filter((f) => f.phase !== 'webhook')), writesOnRefusal: report(writes.filter((f) => f.phase !== 'webhook')) }).toEqual({ fivexx: [], writesOnRefusal: [] });
  }, TEST_TIMEOUT_MS);

  it('is alive and healthy at the end, and the worker still applies what the fuzzing queued', async () => {
    // Replays queued by the fuzzed admin routes go through the worker too.
    await expect(s.app.get(WebhookWorker).drain()).resolves.toEqual(expect.any(Number));
    const health = await client.send({ method: 'GET', path: '/health', headers: {} });
    expect(health.status).toBe(200);
  });
});
