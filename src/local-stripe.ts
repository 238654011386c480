import { startEmulator } from '@billing/stripe-emulator';
import type { Clock } from './infra/clock/clock.js';
import { FollowingClock } from './infra/clock/emulator-clock.js';
import type { AppConfig } from './infra/config/config.js';

/**
 * Local mode without a Stripe key: the bundled emulator, in this process (or the one named by
 * STRIPE_API_BASE), and a service clock that follows the emulator's so that its time controls
 * move the whole product.
 */
export async function startLocalStripe(config: AppConfig): Promise<{ config: AppConfig; clock?: Clock; embedded: boolean }> {
  if (config.STRIPE_API_BASE) {
    // An emulator started on its own (npm run emulator): its default key.
    return { config: { ...config, STRIPE_SECRET_KEY: 'sk_test_emulator' }, embedded: false };
  }
  const emulator = await startEmulator({ port: 0 });
  return {
    config: { ...config, STRIPE_SECRET_KEY: emulator.secretKey, STRIPE_API_BASE: emulator.url },
    clock: new FollowingClock(emulator),
    embedded: true,
  };
}
