import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import type { AppConfig } from '../infra/config/config.js';
import { APP_CONFIG } from '../infra/config/config.module.js';
import { ScheduledRuns } from '../infra/scheduling/scheduled-runs.js';
import { AuditRepository } from './audit.repository.js';

/** Hourly: a purge is cheap when there is little to purge, and a missed hour changes nothing. */
export const AUDIT_PURGE_CRON = '41 * * * *';
const DAY_MS = 86_400_000;

/**
 * Deletes audit records older than AUDIT_RETENTION_DAYS, once per tick across instances (the
 * instance that claims the tick in ScheduledRuns purges, the others skip). Records are operational
 * history like the logs: their age is wall-clock time, not the service clock (which may follow an
 * emulator's).
 */
@Injectable()
export class AuditRetention implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuditRetention.name);

  constructor(
    private readonly em: EntityManager,
    private readonly records: AuditRepository,
    private readonly scheduled: ScheduledRuns,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.scheduled.schedule('audit-purge', AUDIT_PURGE_CRON, () => this.purge());
  }

  /** Purges the records older than the retention at `now`; answers how many went. */
  async purge(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.AUDIT_RETENTION_DAYS * DAY_MS);
    const purged = await this.records.purgeOlderThan(this.em.fork(), cutoff);
    if (purged) this.logger.log(`purged ${purged} audit record(s) older than ${this.config.AUDIT_RETENTION_DAYS} days`);
    return purged;
  }
}
