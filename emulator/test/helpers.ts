// Test fixtures: an emulator on a free port, a Stripe SDK client pointed at it, and a tiny
// webhook receiver that verifies every delivery with `stripe.webhooks.constructEvent`.
import { createServer, type Server } from 'node:http';
import Stripe from 'stripe';
import { startEmulator, type RunningEmulator, type StartEmulatorOptions } from '../src/index.js';

export const WEBHOOK_SECRET = 'whsec_test_emulator_secret';

export interface Receiver {
  url: string;
  events: Stripe.Event[];
  /** Raw deliveries including duplicates. */
  deliveries: { id: string; type: string }[];
  /** Answer this status to the next N deliveries (to test retries). */
  failNext(count: number, status?: number): void;
  close(): Promise<void>;
  clear(): void;
  types(): string[];
}

/** `secret` may be a function: an endpoint registered through the API learns its secret only after the receiver's URL is known. */
export async function startReceiver(secret: string | (() => string) = WEBHOOK_SECRET): Promise<Receiver> {
  const events: Stripe.Event[] = [];
  const deliveries: { id: string; type: string }[] = [];
  let failures = 0;
  let failStatus = 500;
  const verifier = new Stripe('sk_test_unused');
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failures > 0) {
        failures--;
        res.writeHead(failStatus).end();
        return;
      }
      try {
        const event = verifier.webhooks.constructEvent(Buffer.concat(chunks), String(req.headers['stripe-signature']), typeof secret === 'function' ? secret() : secret);
        deliveries.push({ id: event.id, type: event.type });
        if (!events.some((e) => e.id === event.id)) events.push(event);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"received":true}');
      } catch (e) {
        res.writeHead(400).end(String(e));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    events,
    deliveries,
    failNext(count, status = 500) {
      failures = count;
      failStatus = status;
    },
    close: () => new Promise((r) => server.close(() => r())),
    clear() {
      events.length = 0;
      deliveries.length = 0;
    },
    types: () => events.map((e) => e.type),
  };
}

export function sdk(emu: RunningEmulator, options: Partial<Stripe.StripeConfig> = {}): Stripe {
  return new Stripe(emu.secretKey, { host: emu.host, port: emu.port, protocol: emu.protocol, maxNetworkRetries: 0, ...options });
}

export interface Harness {
  emu: RunningEmulator;
  stripe: Stripe;
  receiver: Receiver;
  stop(): Promise<void>;
}

export async function harness(options: StartEmulatorOptions = {}): Promise<Harness> {
  const receiver = await startReceiver();
  const emu = await startEmulator({ webhookEndpoints: [
      // A platform endpoint and a Connect one on the same receiver: it hears every event once.
      { url: receiver.url, secret: WEBHOOK_SECRET },
      { url: receiver.url, secret: WEBHOOK_SECRET, connect: true },
    ], webhookRetryDelaysMs: [20, 40, 80], ...options });
  return {
    emu,
    stripe: sdk(emu),
    receiver,
    stop: async () => {
      await emu.stop();
      await receiver.close();
    },
  };
}

/** Calls the emulator's control API or hosted pages with JSON. */
export async function control(emu: RunningEmulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${emu.secretKey}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** A product with a monthly price (and optionally a feature attached). */
export async function catalog(stripe: Stripe, opts: { amount?: number; interval?: 'month' | 'year'; feature?: string; account?: string } = {}) {
  const req = opts.account ? { stripeAccount: opts.account } : undefined;
  const product = await stripe.products.create({ name: 'Pro plan' }, req);
  const price = await stripe.prices.create(
    { product: product.id, currency: 'jpy', unit_amount: opts.amount ?? 1000, recurring: { interval: opts.interval ?? 'month' } },
    req,
  );
  let feature: Stripe.Entitlements.Feature | undefined;
  if (opts.feature) {
    feature = await stripe.entitlements.features.create({ name: opts.feature, lookup_key: opts.feature }, req);
    await stripe.products.createFeature(product.id, { entitlement_feature: feature.id }, req);
  }
  return { product, price, feature };
}

export const HOUR = 3600;
export const DAY = 86_400;

/** The Stripe error a call fails with (fails the test when the call succeeds or throws something else). */
export async function stripeError(call: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await call;
  } catch (e) {
    if (e instanceof Stripe.errors.StripeError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}
