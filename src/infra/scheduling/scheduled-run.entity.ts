import { defineEntity, p } from '@mikro-orm/core';

/** One tick of a scheduled job, claimed by the instance that ran it (see ScheduledRuns). */
export const ScheduledRunSchema = defineEntity({
  name: 'ScheduledRun',
  tableName: 'scheduled_runs',
  properties: {
    job: p.string().length(64).primary(),
    tickAt: p.datetime().primary(),
    instance: p.string().length(128),
    claimedAt: p.datetime(),
  },
});
export class ScheduledRun extends ScheduledRunSchema.class {}
ScheduledRunSchema.setClass(ScheduledRun);
