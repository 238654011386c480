import { Migration } from '@mikro-orm/migrations';

/** A reconcile run lists each Stripe account in windows of `created`, side by side: the record says how many, and how many held nothing. */
export class Migration20261130010000_reconcile_windows extends Migration {

  override name = 'Migration20261130010000_reconcile_windows';

  override up(): void | Promise<void> {
    this.addSql(`alter table "reconcile_runs" add "windows" int not null default 0, add "empty_windows" int not null default 0;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "reconcile_runs" drop column "windows", drop column "empty_windows";`);
  }

}
