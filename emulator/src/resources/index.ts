// Registers every Stripe API route.
import type { Emulator } from '../emulator.js';
import type { ApiRouter } from '../http/routes.js';
import { billingPortalRoutes } from './billing-portal.js';
import { catalogRoutes } from './catalog.js';
import { checkoutRoutes } from './checkout.js';
import { couponRoutes } from './coupons.js';
import { customerRoutes } from './customers.js';
import { entitlementRoutes } from './entitlements.js';
import { invoiceItemRoutes } from './invoice-items.js';
import { invoicePreviewRoutes } from './invoice-preview.js';
import { meterRoutes } from './meters.js';
import { planRoutes } from './plans.js';
import { paymentMethodRoutes } from './payment-methods.js';
import { paymentPageRoutes } from './payment-pages.js';
import { paymentRoutes } from './payments.js';
import { setupIntentRoutes } from './setup-intents.js';
import { platformRoutes } from './platform.js';
import { subscriptionScheduleRoutes } from './subscription-schedules.js';
import { subscriptionRoutes } from './subscriptions.js';
import { testClockRoutes } from './test-clocks.js';

export function registerApiRoutes(emu: Emulator, r: ApiRouter): void {
  customerRoutes(emu, r);
  catalogRoutes(emu, r);
  planRoutes(emu, r);
  entitlementRoutes(emu, r);
  checkoutRoutes(emu, r);
  subscriptionRoutes(emu, r);
  invoicePreviewRoutes(emu, r);
  meterRoutes(emu, r);
  platformRoutes(emu, r);
  testClockRoutes(emu, r);
  couponRoutes(emu, r);
  billingPortalRoutes(emu, r);
  paymentMethodRoutes(emu, r);
  paymentRoutes(emu, r);
  setupIntentRoutes(emu, r);
  paymentPageRoutes(emu, r);
  invoiceItemRoutes(emu, r);
  subscriptionScheduleRoutes(emu, r);
}
