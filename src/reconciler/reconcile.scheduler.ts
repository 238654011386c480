import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { AppConfig } from '../infra/config/config.js';
import { APP_CONFIG } from '../infra/config/config.module.js';
import { AppError } from '../infra/errors/app-error.js';
import { ScheduledRuns } from '../infra/scheduling/scheduled-runs.js';
import { ReconcilerService } from './reconciler.service.js';

/**
 * The nightly re-sync (RECONCILER_CRON): one instance claims each tick (ScheduledRuns); should a run
 * still be going when the next tick comes, the claimant finds it reconciling and skips.
 */
@Injectable()
export class ReconcileScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReconcileScheduler.name);

  constructor(
    private readonly reconciler: ReconcilerService,
    private readonly scheduled: ScheduledRuns,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.RECONCILER_ENABLED) return;
    this.scheduled.schedule('reconcile', this.config.RECONCILER_CRON, () => this.runScheduled(), this.config.RECONCILER_TIME_ZONE);
  }

  async runScheduled(): Promise<void> {
    try {
      const { done } = await this.reconciler.start({ scope: 'platform', allowDeletes: this.config.RECONCILER_ALLOW_DELETES, trigger: 'schedule' });
      await done;
    } catch (error) {
      if (error instanceof AppError && error.code === 'reconcile_running') return this.logger.log('another instance is reconciling; skipped');
      this.logger.error(`scheduled reconcile failed to start: ${(error as Error).message}`);
    }
  }
}
