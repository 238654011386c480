import { Module } from '@nestjs/common';
import { EntitlementsModule } from '../entitlements/entitlements.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { AccountScopedSubscriptionsController } from './account-scoped-subscriptions.controller.js';
import { AccountSubscriptionChangePreviewController, SubscriptionChangePreviewController } from './change-preview.controller.js';
import { CheckoutService } from './checkout.service.js';
import { PurchaseRules } from './purchase-rules.js';
import { StripeCustomersService } from './stripe-customers.service.js';
import { SubscriptionChangesService } from './subscription-changes.service.js';
import { SubscriptionMirrorRepository } from './subscription-mirror.repository.js';
import { SubscriptionReadRepository } from './subscription-read.repository.js';
import { SubscriptionSyncService } from './subscription-sync.service.js';
import { SubscriptionsController } from './subscriptions.controller.js';
import { SubscriptionsService } from './subscriptions.service.js';
import { TrialsService } from './trials.service.js';

@Module({
  imports: [IdentityModule, EntitlementsModule],
  controllers: [AccountScopedSubscriptionsController, SubscriptionsController, AccountSubscriptionChangePreviewController, SubscriptionChangePreviewController],
  providers: [
    CheckoutService,
    PurchaseRules,
    StripeCustomersService,
    SubscriptionChangesService,
    SubscriptionMirrorRepository,
    SubscriptionReadRepository,
    SubscriptionSyncService,
    SubscriptionsService,
    TrialsService,
  ],
  exports: [SubscriptionMirrorRepository, SubscriptionSyncService, SubscriptionReadRepository, TrialsService],
})
export class SubscriptionsModule {}
