import Stripe from 'stripe';
import { startEmulator, type RunningEmulator, type StartEmulatorOptions } from '@billing/stripe-emulator';
import { FollowingClock } from '../../src/infra/clock/emulator-clock.js';
import { connectWebhookEndpoint } from '../../src/local-mode.js';
import { WebhookWorker } from '../../src/webhooks/webhook-worker.service.js';
import { control } from './mirror-check.js';
import { startTestApp, type TestApp } from './test-app.js';

export interface Stack extends TestApp {
  emulator: RunningEmulator;
  /** A Stripe SDK client on the emulator, as a test (or a merchant's dashboard) would use. */
  stripe: Stripe;
  /** Waits until the emulator has delivered every webhook and the worker has applied every due event. */
  settle(): Promise<void>;
  /** Moves the emulator's clock (and with it the service's), then settles. */
  advance(seconds: number): Promise<void>;
  /** Pays a checkout session on the emulator's hosted page, as a customer would. */
  payCheckout(sessionId: string, card?: string): Promise<{ status: string }>;
  /**
   * A connected account that exists in the emulator, as Stripe requires of any `Stripe-Account`:
   * made by `POST /v1/accounts` (Stripe's own id), or, when the test names its id, by the
   * emulator's control API (`POST /_emulator/accounts`), since Stripe never lets one choose an id.
   * Returns the account's id.
   */
  connectedAccount(id?: string): Promise<string>;
}

/**
 * The whole product for a test: the Stripe emulator, and the real application on a real database
 * with its Stripe gateway pointed at the emulator, the default application's webhook endpoint
 * registered (real signed deliveries), and the service's clock following the emulator's.
 */
export async function startStack(env: Record<string, string> = {}, emulatorOptions: StartEmulatorOptions = {}): Promise<Stack> {
  // As Stripe, the emulator refuses a `Stripe-Account` that names an account never created (403
  // account_invalid): a test that sells through a connected account creates it first
  // (`connectedAccount`), so that a wrong account id sent by the service fails here as in production.
  const emulator = await startEmulator({ port: 0, webhookRetryDelaysMs: [50, 100, 200], ...emulatorOptions });
  const t = await startTestApp(
    // The worker runs only when a test settles, so that a test knows when every event has been applied.
    { STRIPE_SECRET_KEY: emulator.secretKey, STRIPE_API_BASE: emulator.url, WEBHOOK_WORKER_ENABLED: 'false', ...env },
    { clock: new FollowingClock(emulator) },
  );
  await connectWebhookEndpoint(t.app, t.baseUrl, t.config.DEFAULT_APPLICATION_ID);
  const stripe = new Stripe(emulator.secretKey, { host: emulator.host, port: emulator.port, protocol: 'http', maxNetworkRetries: 0 });
  const worker = t.app.get(WebhookWorker);
  const settle = async () => {
    for (let round = 0; round < 20; round++) {
      await emulator.flushWebhooks();
      const applied = await worker.drain();
      if (applied === 0) return;
    }
  };
  const stack: Stack = {
    ...t,
    emulator,
    stripe,
    settle,
    async advance(seconds) {
      emulator.advance(seconds);
      await settle();
    },
    async payCheckout(sessionId, card = '4242424242424242') {
      const res = await fetch(`${emulator.url}/checkout/${sessionId}/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ card }),
      });
      if (!res.ok) throw new Error(`paying ${sessionId} failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as { status: string };
    },
    async connectedAccount(id) {
      if (id === undefined) return (await stripe.accounts.create({ type: 'standard', country: 'JP' })).id;
      return (await control<{ id: string }>(stack, 'POST', '/_emulator/accounts', { id })).id;
    },
    async close() {
      await t.close();
      await emulator.stop();
    },
  };
  return stack;
}
