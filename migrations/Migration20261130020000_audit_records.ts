import { Migration } from '@mikro-orm/migrations';

/** The audit trail (src/audit): one row per mutation through the API or the admin CLI. */
export class Migration20261130020000_audit_records extends Migration {

  override name = 'Migration20261130020000_audit_records';

  override up(): void | Promise<void> {
    this.addSql(`create table "audit_records" ("id" bigserial primary key, "occurred_at" timestamptz not null, "request_id" varchar(128) not null, "actor_type" text not null, "actor_id" varchar(255) not null, "subject" varchar(255) null, "roles" jsonb null, "api_key_id" varchar(64) null, "channel" varchar(16) not null, "operator" varchar(128) null, "action" varchar(64) not null, "application_id" varchar(64) null, "account_id" varchar(255) null, "merchant_id" varchar(64) null, "target" jsonb not null default '{}', "params" jsonb not null default '{}', "before" jsonb null, "after" jsonb null, "stripe_request_ids" jsonb not null default '[]', "outcome" text not null, "status" int not null, "error_code" varchar(64) null, "duration_ms" int not null);`);
    this.addSql(`create index "audit_records_occurred_at_index" on "audit_records" ("occurred_at");`);
    this.addSql(`create index "audit_records_account_index" on "audit_records" ("account_id", "id");`);
    this.addSql(`create index "audit_records_application_index" on "audit_records" ("application_id", "id");`);
    this.addSql(`create index "audit_records_action_index" on "audit_records" ("action", "id");`);
    this.addSql(`create index "audit_records_request_index" on "audit_records" ("request_id");`);
    this.addSql(`alter table "audit_records" add constraint "audit_records_actor_type_check" check ("actor_type" in ('account', 'admin', 'partner'));`);
    this.addSql(`alter table "audit_records" add constraint "audit_records_outcome_check" check ("outcome" in ('success', 'error'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "audit_records" cascade;`);
  }

}
