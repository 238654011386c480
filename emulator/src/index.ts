// Public entry: start the Stripe emulator in-process (tests, local mode) or from main.ts.
import { controlRoutes } from './control.js';
import { Emulator, type EmulatorSettings } from './emulator.js';
import type { FaultConfig } from './faults.js';
import { RouteTables } from './http/routes.js';
import { EmulatorHttpServer } from './http/server.js';
import { pageRoutes } from './pages/hosted.js';
import { authenticationRoutes } from './pages/authenticate.js';
import { registerApiRoutes } from './resources/index.js';
import { createWebhookEndpoint } from './resources/platform.js';

export type { EmulatorSettings, FaultConfig };
export { Emulator };

export interface StartEmulatorOptions {
  port?: number;
  host?: string;
  secretKey?: string;
  /** `connect: true` makes a Connect endpoint: it receives connected accounts' events only, the others the platform's only. */
  webhookEndpoints?: { url: string; secret?: string; enabled_events?: string[]; connect?: boolean }[];
  /** Accept any `acct_…` id in `Stripe-Account` (created on first use); off, only existing accounts, as Stripe. */
  acceptAnyAccount?: boolean;
  pastDueFinalAction?: 'cancel' | 'unpaid';
  /** Unix seconds; the clock starts at real time otherwise. */
  startTime?: number;
  /** Days between retries of a failed renewal (Stripe's custom retry schedule). Default [3, 5, 7]. */
  retryScheduleDays?: number[];
  /** Milliseconds between webhook delivery attempts; its length + 1 is the number of attempts. */
  webhookRetryDelaysMs?: number[];
}

export interface RunningEmulator {
  url: string;
  host: string;
  port: number;
  protocol: 'http';
  secretKey: string;
  stop(): Promise<void>;
  /** Emulator time, unix seconds. */
  now(): number;
  /** Advances the emulator clock, running due renewals, retries and expiries in order. */
  advance(seconds: number): number;
  /** Resolves when every pending webhook delivery (and retry) has finished. */
  flushWebhooks(): Promise<void>;
  setWebhooksEnabled(enabled: boolean): void;
  setFaults(config: FaultConfig): void;
  clearFaults(): void;
  /** Forgets all objects; endpoints configured at start are registered again. */
  reset(): void;
  /** The emulator itself, for white-box helpers in tests. */
  emulator: Emulator;
}

export const DEFAULT_SECRET_KEY = 'sk_test_emulator';

export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const secretKey = options.secretKey ?? DEFAULT_SECRET_KEY;
  const emu = new Emulator({
    secretKey,
    publicUrl: '',
    startTime: options.startTime,
    webhookRetryDelaysMs: options.webhookRetryDelaysMs,
    acceptAnyAccount: options.acceptAnyAccount,
    settings: {
      pastDueFinalAction: options.pastDueFinalAction ?? 'cancel',
      retryScheduleDays: options.retryScheduleDays ?? [3, 5, 7],
      incompleteExpirySeconds: 23 * 3600,
      upcomingInvoiceDays: 3,
      trialWillEndDays: 3,
      checkoutExpirySeconds: 24 * 3600,
    },
  });
  const configureEndpoints = () => {
    for (const ep of options.webhookEndpoints ?? []) createWebhookEndpoint(emu, emu.platform, ep);
  };
  const reset = () => {
    emu.reset();
    configureEndpoints();
  };
  const routes = new RouteTables();
  registerApiRoutes(emu, routes.api);
  controlRoutes(emu, routes.control, { reset });
  pageRoutes(emu, routes.pages);
  authenticationRoutes(emu, routes.pages);
  configureEndpoints();

  const server = new EmulatorHttpServer(emu, routes);
  const port = await server.listen(options.port ?? 0, host);
  const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
  emu.publicUrl = url;
  return {
    url,
    host,
    port,
    protocol: 'http',
    secretKey,
    emulator: emu,
    now: () => emu.clock.now(),
    advance: (seconds) => emu.clock.advance(seconds),
    flushWebhooks: () => emu.delivery.flush(),
    setWebhooksEnabled: (enabled) => {
      emu.delivery.enabled = enabled;
    },
    setFaults: (config) => emu.faults.add(config),
    clearFaults: () => emu.faults.clear(),
    reset,
    stop: async () => {
      emu.delivery.stop();
      emu.clock.clear();
      await server.close();
    },
  };
}
