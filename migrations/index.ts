import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261121000133_initial } from './Migration20261121000133_initial.js';
import { Migration20261121001005_webhooks } from './Migration20261121001005_webhooks.js';
import { Migration20261121024518_raw_hash } from './Migration20261121024518_raw_hash.js';
import { Migration20261121030000_lz4_objects } from './Migration20261121030000_lz4_objects.js';
import { Migration20261129000000_webhook_payload_note } from './Migration20261129000000_webhook_payload_note.js';
import { Migration20261130000000_scheduled_runs } from './Migration20261130000000_scheduled_runs.js';
import { Migration20261130001000_request_limits } from './Migration20261130001000_request_limits.js';
import { Migration20261130010000_reconcile_windows } from './Migration20261130010000_reconcile_windows.js';
import { Migration20261130020000_audit_records } from './Migration20261130020000_audit_records.js';

/**
 * Every migration, in order. Listed explicitly (not found by globbing) so that the same list
 * works from TypeScript sources under Jest and from the compiled build. `npm run migration:create`
 * writes a new file; add it here.
 */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261121000133_initial', class: Migration20261121000133_initial },
  { name: 'Migration20261121001005_webhooks', class: Migration20261121001005_webhooks },
  { name: 'Migration20261121024518_raw_hash', class: Migration20261121024518_raw_hash },
  { name: 'Migration20261121030000_lz4_objects', class: Migration20261121030000_lz4_objects },
  { name: 'Migration20261129000000_webhook_payload_note', class: Migration20261129000000_webhook_payload_note },
  { name: 'Migration20261130000000_scheduled_runs', class: Migration20261130000000_scheduled_runs },
  { name: 'Migration20261130001000_request_limits', class: Migration20261130001000_request_limits },
  { name: 'Migration20261130010000_reconcile_windows', class: Migration20261130010000_reconcile_windows },
  { name: 'Migration20261130020000_audit_records', class: Migration20261130020000_audit_records },
];
