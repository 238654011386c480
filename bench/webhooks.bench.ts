import { createHmac } from 'node:crypto';
import autocannon from 'autocannon';
import { ApplicationsService } from '../src/tenancy/applications.service.js';
import { WebhookWorker } from '../src/webhooks/webhook-worker.service.js';
import { freshDatabase, peakRssMb, startBenchApp, type Benchmark } from './support.js';

const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 10_000);
const CONNECTIONS = 20;
const WORKERS = 4;

/**
 * Signed Stripe events accepted per second by the webhook endpoint (signature check + inbox
 * insert), then applied per second by the worker (claim, mirror upsert with its items and access,
 * mark processed) on real PostgreSQL. Each event is a `customer.subscription.updated` of its own
 * subscription, shaped as Stripe sends it; applying it needs no Stripe call.
 */
export const webhooksBenchmark: Benchmark = {
  name: 'webhooks',
  description: `${EVENTS} signed subscription events: accepted/s over HTTP (${CONNECTIONS} connections), then applied/s (${WORKERS} worker slots)`,
  async run() {
    const db = await freshDatabase();
    const { app, url } = await startBenchApp(db.url, { WEBHOOK_WORKER_ENABLED: 'false', BODY_LIMIT: '1mb' });
    try {
      const [secret] = await app.get(ApplicationsService).currentWebhookSecrets('default');
      const now = Math.floor(Date.now() / 1000);
      const bodies = Array.from({ length: EVENTS }, (_, i) => JSON.stringify(subscriptionEvent(i, now)));
      let next = 0;
      const started = Date.now();
      const result = await autocannon({
        url: `${url}/api/applications/default/subscriptions/stripe/webhook`,
        connections: CONNECTIONS,
        amount: EVENTS,
        method: 'POST',
        requests: [
          {
            setupRequest: (request: any) => {
              const body = bodies[next++ % bodies.length]!;
              const t = Math.floor(Date.now() / 1000);
              const signature = createHmac('sha256', secret!).update(`${t}.${body}`).digest('hex');
              return { ...request, body, headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${signature}` } };
            },
          },
        ],
      });
      const acceptSeconds = (Date.now() - started) / 1000;

      const worker = app.get(WebhookWorker);
      const applyStarted = Date.now();
      const applied = (await Promise.all(Array.from({ length: WORKERS }, () => worker.drain()))).reduce((a, b) => a + b, 0);
      const applySeconds = (Date.now() - applyStarted) / 1000;

      return {
        events: EVENTS,
        accepted_2xx: result['2xx'],
        non_2xx: result.non2xx,
        accepted_per_s: Math.round(result['2xx'] / acceptSeconds),
        accept_p99_ms: result.latency.p99,
        applied: applied,
        applied_per_s: Math.round(applied / applySeconds),
        peak_rss_mb: peakRssMb(),
      };
    } finally {
      await app.close();
      await db.drop();
    }
  },
};

/** A customer.subscription.updated event as Stripe sends it (API 2026-10-28: periods on the items). */
function subscriptionEvent(i: number, now: number) {
  const sub = `sub_bench${i.toString(36).padStart(8, '0')}`;
  const start = now - 86_400;
  const end = start + 30 * 86_400;
  return {
    id: `evt_bench${i.toString(36).padStart(8, '0')}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: now,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'customer.subscription.updated',
    data: {
      previous_attributes: { cancel_at_period_end: true },
      object: {
        id: sub,
        object: 'subscription',
        customer: `cus_bench${(i % 5000).toString(36)}`,
        status: 'active',
        cancel_at_period_end: false,
        cancel_at: null,
        canceled_at: null,
        ended_at: null,
        created: start,
        start_date: start,
        trial_start: null,
        trial_end: null,
        latest_invoice: `in_bench${i.toString(36)}`,
        metadata: { account_id: `company_${i % 5000}`, application_id: 'default' },
        items: {
          object: 'list',
          has_more: false,
          total_count: 1,
          url: `/v1/subscription_items?subscription=${sub}`,
          data: [
            {
              id: `si_bench${i.toString(36)}`,
              object: 'subscription_item',
              quantity: 1 + (i % 5),
              current_period_start: start,
              current_period_end: end,
              subscription: sub,
              price: { id: 'price_bench_standard', object: 'price', product: 'prod_bench_standard', active: true, currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' } },
            },
          ],
        },
      },
    },
  };
}
