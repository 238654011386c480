import { Migration } from '@mikro-orm/migrations';

/**
 * A correctly signed event whose strings hold characters PostgreSQL cannot store (NUL, unpaired
 * surrogates) is stored with them replaced: the note says so and the signed bytes are kept.
 */
export class Migration20261129000000_webhook_payload_note extends Migration {

  override name = 'Migration20261129000000_webhook_payload_note';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhook_events" add "payload_note" text null, add "raw_body" bytea null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_events" drop column "payload_note", drop column "raw_body";`);
  }

}
