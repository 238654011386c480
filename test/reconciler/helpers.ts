import type Stripe from 'stripe';
import type supertest from 'supertest';
import { StripeGateway } from '../../src/infra/stripe/stripe.gateway.js';
import { accessFromStripe, mirrorRow, mirrorView, query, seconds, stripeView } from '../support/mirror-check.js';
import type { Stack } from '../support/stack.js';
import { accountToken } from '../support/test-app.js';

/** A reconcile run as the admin API shows it. */
export interface RunView {
  id: string;
  scope: string;
  merchant_id: string | null;
  account_id: string | null;
  trigger: string;
  allow_deletes: boolean;
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  started_at: string;
  finished_at: string | null;
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  flagged: number;
  stripe_calls: number;
  windows: number;
  empty_windows: number;
  requests_per_second: number | null;
  error: string | null;
}

export const RUNS = '/admin/reconcile-runs';

/** POST /admin/reconcile-runs with the admin token. */
export const postRun = (s: Stack, body: Record<string, unknown>): supertest.Test => s.admin(s.http().post(RUNS)).send(body);

/** Starts a run and waits for its end (`wait: true`); fails unless it answered 200. */
export async function reconcile(s: Stack, body: Record<string, unknown> = {}): Promise<RunView> {
  const res = await postRun(s, { ...body, wait: true });
  if (res.status !== 200) throw new Error(`reconcile: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as RunView;
}

/**
 * Polls GET /admin/reconcile-runs/:id until the run is no longer running. The deadline is the
 * suite's timeout (jest.config.js): a loaded machine may be slow, only a hung run should fail here.
 */
export async function waitForRun(s: Stack, id: string, timeoutMs = 180_000): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await s.admin(s.http().get(`${RUNS}/${id}`));
    if (res.status !== 200) throw new Error(`GET run ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    if (res.body.status !== 'running') return res.body as RunView;
    if (Date.now() > deadline) throw new Error(`run ${id} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Asserts that the mirror holds Stripe's subscription on every kept field (mirror-check.ts), and,
 * for platform subscriptions, the access Stripe's state calls for.
 */
export async function expectMirrored(s: Stack, id: string, options: Stripe.RequestOptions = {}): Promise<Stripe.Subscription> {
  const sub = await s.stripe.subscriptions.retrieve(id, {}, options);
  expect({ id, view: await mirrorView(s, id) }).toEqual({ id, view: stripeView(sub) });
  if (!options.stripeAccount) {
    const row = await mirrorRow(s, id);
    expect({ id, access_until: seconds(row!.access_until) }).toEqual({ id, access_until: await accessFromStripe(s.stripe, sub, 7) });
  }
  return sub;
}

/** Every mirrored subscription's kept fields, by id: to compare before and after a run. */
export async function snapshotMirror(s: Stack): Promise<Map<string, unknown>> {
  const ids = await query<{ id: string }>(s, 'select id from subscriptions order by id');
  const out = new Map<string, unknown>();
  for (const { id } of ids) out.set(id, await mirrorView(s, id));
  return out;
}

/** GET /api/subscriptions/features for an account (of the default application unless named): the lookup keys granted. */
export async function featureKeys(s: Stack, accountId: string, applicationId?: string): Promise<string[]> {
  const token = await accountToken({ acc: accountId, role: 'owner', ...(applicationId ? { app: applicationId } : {}) });
  const res = await s.http().get('/api/subscriptions/features').set('authorization', `Bearer ${token}`);
  if (res.status !== 200) throw new Error(`features of ${accountId}: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body.data as { lookup_key: string }[]).map((f) => f.lookup_key).sort();
}

/** A gate the test opens: the reconciler's listing waits at it (`wait`, see onListing) with Stripe's answer in hand. */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let reached!: () => void;
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  return { open, arrived, wait: () => (reached(), opened) };
}

/**
 * Holds the reconciler's subscription listings: each `subscriptions.list` call made through the
 * service's Stripe gateway is answered by Stripe, then `afterListing` runs (with the call's number,
 * from 1) before the reconciler gets the page. Lets a test act between "Stripe answered" and "the
 * page is applied", which the emulator's latency fault cannot do (it delays before answering).
 * `afterListing` may also amend the page where the emulator answers differently from Stripe.
 */
export function onListing(s: Pick<Stack, 'app'>, afterListing: (n: number, page: Stripe.ApiList<Stripe.Subscription>) => Promise<void> | void): () => void {
  const gateway = s.app.get(StripeGateway);
  const original = gateway.call.bind(gateway);
  let n = 0;
  gateway.call = (async <T>(operation: string, fn: (stripe: Stripe) => Promise<T>): Promise<T> => {
    const result = await original(operation, fn);
    if (operation === 'subscriptions.list') await afterListing(++n, result as Stripe.ApiList<Stripe.Subscription>);
    return result;
  }) as StripeGateway['call'];
  return () => {
    gateway.call = original;
  };
}
