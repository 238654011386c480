import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module.js';
import { SubscriptionMirrorRepository } from './subscription-mirror.repository.js';
import { SubscriptionSyncService } from './subscription-sync.service.js';

@Module({
  imports: [IdentityModule],
  providers: [SubscriptionMirrorRepository, SubscriptionSyncService],
  exports: [SubscriptionMirrorRepository, SubscriptionSyncService],
})
export class SubscriptionsModule {}
