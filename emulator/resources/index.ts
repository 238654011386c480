// Registers every Stripe API route.
import type { Emulator } from '../emulator.js';
import { catalogRoutes } from './catalog.js';
import { checkoutRoutes } from './checkout.js';
import { customerRoutes } from './customers.js';
import { entitlementRoutes } from './entitlements.js';
import { platformRoutes } from './platform.js';
import { subscriptionRoutes } from './subscriptions.js';

export function registerApiRoutes(emu: Emulator): void {
  customerRoutes(emu);
  catalogRoutes(emu);
  entitlementRoutes(emu);
  checkoutRoutes(emu);
  subscriptionRoutes(emu);
  platformRoutes(emu);
}
