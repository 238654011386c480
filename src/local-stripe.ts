import { DEFAULT_SECRET_KEY, startEmulator } from '@billing/stripe-emulator';
import type { Clock } from './infra/clock/clock.js';
import { FollowingClock } from './infra/clock/emulator-clock.js';
import type { AppConfig } from './infra/config/config.js';

/** Start-up cannot go on for a reason the user can fix (a port taken): `main.ts` prints the message as one line and exits 1. */
export class StartupError extends Error {}

export interface LocalStripe {
  /** The configuration with the emulator's key and URL filled in. */
  config: AppConfig;
  clock?: Clock;
  /** The emulator runs in this process (otherwise it is the one STRIPE_API_BASE names). */
  embedded: boolean;
  /** Its API and hosted pages, and the key it accepts: both printed by the start-up banner. */
  url: string;
  secretKey: string;
  stop(): Promise<void>;
}

/**
 * Local mode without a Stripe key: the bundled emulator, in this process on EMULATOR_PORT (or the
 * one named by STRIPE_API_BASE), and a service clock that follows the emulator's so that its time
 * controls move the whole product.
 */
export async function startLocalStripe(config: AppConfig): Promise<LocalStripe> {
  if (config.STRIPE_API_BASE) {
    // An emulator started on its own (npm run emulator): its default key.
    const url = config.STRIPE_API_BASE.replace(/\/+$/, '');
    return { config: { ...config, STRIPE_SECRET_KEY: DEFAULT_SECRET_KEY }, embedded: false, url, secretKey: DEFAULT_SECRET_KEY, stop: async () => undefined };
  }
  // acceptAnyAccount stays off, as in Stripe: a direct or destination merchant tried here fails on
  // a wrong stripe_account_id as it would in production; its account is created first (POST
  // /v1/accounts, or /_emulator/accounts for a chosen id), as onboarding does in Stripe.
  const emulator = await startEmulator({ port: config.EMULATOR_PORT }).catch((error: unknown) => {
    // A fixed port is what makes the emulator's URL known in advance; when it is taken, say which
    // variable moves it rather than printing Node's EADDRINUSE.
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new StartupError(
        `EMULATOR_PORT ${config.EMULATOR_PORT} is already in use (another npm start or npm run emulator?): stop that process, or set EMULATOR_PORT to a free port (0: any)`,
      );
    }
    throw error;
  });
  return {
    config: { ...config, STRIPE_SECRET_KEY: emulator.secretKey, STRIPE_API_BASE: emulator.url },
    clock: new FollowingClock(emulator),
    embedded: true,
    url: emulator.url,
    secretKey: emulator.secretKey,
    stop: () => emulator.stop(),
  };
}
