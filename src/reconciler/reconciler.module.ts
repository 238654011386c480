import { Module } from '@nestjs/common';
import { EntitlementsModule } from '../entitlements/entitlements.module.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { AdminReconcileController } from './admin-reconcile.controller.js';
import { ReconcileLock } from './reconcile-lock.js';
import { ReconcileScheduler } from './reconcile.scheduler.js';
import { ReconcilerService } from './reconciler.service.js';

@Module({
  imports: [SubscriptionsModule, EntitlementsModule],
  controllers: [AdminReconcileController],
  providers: [ReconcilerService, ReconcileLock, ReconcileScheduler],
  exports: [ReconcilerService],
})
export class ReconcilerModule {}
