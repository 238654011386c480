import { Module } from '@nestjs/common';
import { EntitlementsModule } from '../entitlements/entitlements.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { AdminWebhookEventsController } from './admin-webhook-events.controller.js';
import { EventApplier } from './event-applier.service.js';
import { AccountEventsHandler } from './handlers/account-events.handler.js';
import { CatalogEventsHandler } from './handlers/catalog-events.handler.js';
import { CheckoutEventsHandler } from './handlers/checkout-events.handler.js';
import { CustomerEventsHandler } from './handlers/customer-events.handler.js';
import { EntitlementEventsHandler } from './handlers/entitlement-events.handler.js';
import { EVENT_HANDLERS } from './handlers/event-handler.js';
import { InvoiceEventsHandler } from './handlers/invoice-events.handler.js';
import { SubscriptionEventsHandler } from './handlers/subscription-events.handler.js';
import { InboxMetrics } from './inbox-metrics.js';
import { InboxRepository } from './inbox.repository.js';
import { WebhookEventsAdminService } from './webhook-events-admin.service.js';
import { WebhookIntakeService } from './webhook-intake.service.js';
import { WebhookWorker } from './webhook-worker.service.js';
import { WebhooksController } from './webhooks.controller.js';

const HANDLERS = [
  AccountEventsHandler,
  CatalogEventsHandler,
  CheckoutEventsHandler,
  CustomerEventsHandler,
  EntitlementEventsHandler,
  InvoiceEventsHandler,
  SubscriptionEventsHandler,
];

@Module({
  imports: [IdentityModule, SubscriptionsModule, EntitlementsModule],
  controllers: [WebhooksController, AdminWebhookEventsController],
  providers: [
    ...HANDLERS,
    { provide: EVENT_HANDLERS, useFactory: (...handlers: unknown[]) => handlers, inject: HANDLERS },
    EventApplier,
    InboxRepository,
    InboxMetrics,
    WebhookIntakeService,
    WebhookWorker,
    WebhookEventsAdminService,
  ],
  exports: [WebhookWorker],
})
export class WebhooksModule {}
