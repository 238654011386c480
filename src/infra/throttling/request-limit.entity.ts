import { defineEntity, p } from '@mikro-orm/core';

/**
 * One counter of the request limits (THROTTLE_STORE=postgres): hits of one key (a limit and who
 * it counts, e.g. `account:default:acct_1`) in the fixed window ending at `windowEndsAt`. Written
 * only by one upsert per counted request (limit-store.ts); rows whose window ended are purged.
 */
export const RequestLimitSchema = defineEntity({
  name: 'RequestLimit',
  tableName: 'request_limits',
  indexes: [{ name: 'request_limits_window_ends_at_index', properties: ['windowEndsAt'] }],
  properties: {
    key: p.string().length(255).primary(),
    hits: p.integer(),
    windowEndsAt: p.datetime(),
  },
});
export class RequestLimit extends RequestLimitSchema.class {}
RequestLimitSchema.setClass(RequestLimit);
