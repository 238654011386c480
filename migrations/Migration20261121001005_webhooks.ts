import { Migration } from '@mikro-orm/migrations';

export class Migration20261121001005_webhooks extends Migration {

  override name = 'Migration20261121001005_webhooks';

  override up(): void | Promise<void> {
    // The workers' claim reads only events still to do, however long the processed history grows.
    this.addSql(`create index "webhook_events_pending_index" on "webhook_events" ("next_attempt_at", "stripe_created") where state in ('received', 'failed');`);
    this.addSql(`create table "entitlement_summaries" ("stripe_account" varchar(64) not null, "customer_id" varchar(255) not null, "stripe_version" bigint not null, "updated_at" timestamptz not null, primary key ("stripe_account", "customer_id"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "webhook_events_pending_index";`);
    this.addSql(`drop table if exists "entitlement_summaries" cascade;`);
  }

}
