import { Migration } from '@mikro-orm/migrations';

export class Migration20261121024518_raw_hash extends Migration {

  override name = 'Migration20261121024518_raw_hash';

  override up(): void | Promise<void> {
    this.addSql(`alter table "subscriptions" add "raw_hash" varchar(40) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "subscriptions" drop column "raw_hash";`);
  }

}
