import { Module } from '@nestjs/common';
import { EntitlementsModule } from '../entitlements/entitlements.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { AdminReconcileController } from './admin-reconcile.controller.js';
import { ReconcileLock } from './reconcile-lock.js';
import { ReconcileRunsRepository } from './reconcile-runs.repository.js';
import { ReconcileScheduler } from './reconcile.scheduler.js';
import { ReconcilerService } from './reconciler.service.js';

@Module({
  imports: [SubscriptionsModule, EntitlementsModule, IdentityModule],
  controllers: [AdminReconcileController],
  providers: [ReconcilerService, ReconcileRunsRepository, ReconcileLock, ReconcileScheduler],
  exports: [ReconcilerService],
})
export class ReconcilerModule {}
