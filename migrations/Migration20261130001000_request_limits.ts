import { Migration } from '@mikro-orm/migrations';

/**
 * The request limits' counters (THROTTLE_STORE=postgres): one row per limit and caller, upserted on
 * every limited request. Unlogged: a counter is worth nothing after a crash (PostgreSQL empties the
 * table then, and everyone starts a fresh window), so its writes skip the WAL.
 */
export class Migration20261130001000_request_limits extends Migration {

  override name = 'Migration20261130001000_request_limits';

  override up(): void | Promise<void> {
    this.addSql(`create table "request_limits" ("key" varchar(255) not null, "hits" int not null, "window_ends_at" timestamptz not null, primary key ("key"));`);
    this.addSql(`create index "request_limits_window_ends_at_index" on "request_limits" ("window_ends_at");`);
    this.addSql(`alter table "request_limits" set unlogged;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "request_limits" cascade;`);
  }

}
