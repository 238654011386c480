import { Migration } from '@mikro-orm/migrations';

/** Scheduled jobs claim each tick once across instances (src/infra/scheduling/scheduled-runs.ts). */
export class Migration20261130000000_scheduled_runs extends Migration {

  override name = 'Migration20261130000000_scheduled_runs';

  override up(): void | Promise<void> {
    this.addSql(`create table "scheduled_runs" ("job" varchar(64) not null, "tick_at" timestamptz not null, "instance" varchar(128) not null, "claimed_at" timestamptz not null, constraint "scheduled_runs_pkey" primary key ("job", "tick_at"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "scheduled_runs" cascade;`);
  }

}
