import { hostname } from 'node:os';
import { EntityManager } from '@mikro-orm/core';
import { Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { exec } from '../database/sql.js';

/** Claims older than this are removed now and then: they only serve to tell who ran a tick. */
const KEEP_DAYS = 30;

/**
 * Scheduled jobs (the nightly reconcile, trial expiry) run on every instance that has them enabled,
 * and every instance's cron fires at the same tick. Each tick is claimed in PostgreSQL, where all
 * instances meet: the first to insert (job, tick) runs it, the others skip it. A lock alone would
 * not do: an instance whose cron fires a moment after the first run ended would run the tick again.
 */
@Injectable()
export class ScheduledRuns {
  /** Who ran a tick, for the operator: the host and process. */
  readonly instance = `${hostname()}:${process.pid}`;

  private readonly logger = new Logger(ScheduledRuns.name);

  constructor(
    private readonly em: EntityManager,
    private readonly registry: SchedulerRegistry,
  ) {}

  /**
   * Runs `run` at every tick of `cronTime` that this instance claims first. A tick that cannot be
   * claimed (the database is down) is skipped, as it would be by the instance that claimed it.
   */
  schedule(job: string, cronTime: string, run: () => Promise<unknown>, timeZone?: string): void {
    const tick = async () => {
      try {
        if (!(await this.claim(job, cronTime, new Date()))) return this.logger.debug(`${job}: another instance runs this tick`);
        await run();
      } catch (error) {
        this.logger.error(`${job} failed: ${(error as Error).message}`);
      }
    };
    this.registry.addCronJob(job, CronJob.from({ cronTime, ...(timeZone ? { timeZone } : {}), onTick: () => void tick(), start: true }));
  }

  /** Whether this instance is the one to run `job`'s tick at `firedAt` (the moment its cron fired). */
  async claim(job: string, cronTime: string, firedAt: Date): Promise<boolean> {
    const tick = scheduledTick(cronTime, firedAt);
    const rows = await exec<{ job: string }>(
      this.em.fork(),
      'insert into scheduled_runs (job, tick_at, instance, claimed_at) values (?, ?, ?, now()) on conflict do nothing returning job',
      [job, tick, this.instance],
    );
    if (rows.length > 0 && Math.random() < 0.01) await exec(this.em.fork(), `delete from scheduled_runs where tick_at < now() - interval '${KEEP_DAYS} days'`);
    return rows.length > 0;
  }
}

/**
 * The tick a cron firing at `firedAt` belongs to: the time rounded to the cron's unit (a second for
 * six-field expressions, else a minute). Instances' timers fire a few milliseconds apart, on
 * either side of the scheduled instant; rounding to the nearest unit puts them on the same tick.
 */
export function scheduledTick(cronTime: string, firedAt: Date): Date {
  const unitMs = cronTime.trim().split(/\s+/).length >= 6 ? 1000 : 60_000;
  return new Date(Math.round(firedAt.getTime() / unitMs) * unitMs);
}
