import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ID_PATTERN } from '../infra/ids.js';
import { OptionalNotNull } from '../infra/errors/validation.js';
import { FLOW } from '../infra/http/seed-flow.api-docs.js';
import { AUDIT_ACTOR_TYPES, AUDIT_OUTCOMES, type AuditRecord } from './audit-record.entity.js';

/** A state is one object (an application) or a list (an account's subscriptions, an application's keys). */
const STATE_SCHEMAS = [{ type: 'object', additionalProperties: true }, { type: 'array', items: { type: 'object', additionalProperties: true } }];
const EXAMPLE_REQUEST_ID = '3a336a0c-8d14-4b99-bc25-5c46444c2817';

export class ListAuditRecordsQuery {
  @ApiPropertyOptional({ example: FLOW.accountId, description: 'Records of this account (account actions, and admin actions naming it)' })
  @OptionalNotNull() @IsString() @MaxLength(255)
  account_id?: string;

  @ApiPropertyOptional({ example: FLOW.applicationId })
  @OptionalNotNull() @IsString() @Matches(ID_PATTERN, { message: '$property must be an application id' })
  application_id?: string;

  @ApiPropertyOptional({ example: 'admin', description: 'Who: an account id, `admin`, or a partner API key id' })
  @OptionalNotNull() @IsString() @MaxLength(255)
  actor?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTOR_TYPES, example: 'account' })
  @OptionalNotNull() @IsIn(AUDIT_ACTOR_TYPES)
  actor_type?: string;

  @ApiPropertyOptional({ example: 'subscription.cancel' })
  @OptionalNotNull() @IsString() @Matches(/^[a-z_]{1,32}(\.[a-z_-]{1,32}){1,2}$/, { message: '$property must be an action name such as subscription.cancel' })
  action?: string;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES, example: 'error' })
  @OptionalNotNull() @IsIn(AUDIT_OUTCOMES)
  outcome?: string;

  @ApiPropertyOptional({ example: EXAMPLE_REQUEST_ID, description: 'The X-Request-Id the service answered with' })
  @OptionalNotNull() @IsString() @Matches(/^[\w.-]{8,128}$/, { message: '$property must be a request id' })
  request_id?: string;

  @ApiPropertyOptional({ example: '2026-11-20T00:00:00.000Z', description: 'From this time on (ISO 8601, inclusive)' })
  @OptionalNotNull() @Type(() => Date) @IsDate({ message: '$property must be an ISO 8601 date-time' })
  from?: Date;

  @ApiPropertyOptional({ example: '2026-11-21T00:00:00.000Z', description: 'Before this time (ISO 8601, exclusive)' })
  @OptionalNotNull() @Type(() => Date) @IsDate({ message: '$property must be an ISO 8601 date-time' })
  to?: Date;

  @ApiPropertyOptional({ example: '1042', description: "The previous page's `next_cursor`" })
  @OptionalNotNull() @IsString() @Matches(/^[1-9]\d{0,18}$/, { message: '$property must be a next_cursor from a previous page' })
  cursor?: string;

  @ApiPropertyOptional({ example: 50, default: 50 })
  @OptionalNotNull() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit?: number;
}

export class AuditRecordView {
  @ApiProperty({ example: '1042' }) id!: string;
  @ApiProperty({ example: '2026-11-20T01:23:45.000Z' }) occurred_at!: string;
  @ApiProperty({ example: EXAMPLE_REQUEST_ID, description: 'The X-Request-Id of the request' }) request_id!: string;
  @ApiProperty({ enum: AUDIT_ACTOR_TYPES, example: 'account' }) actor_type!: string;
  @ApiProperty({ example: FLOW.accountId, description: 'The account id, `admin`, or the partner API key id' }) actor_id!: string;
  @ApiProperty({ example: 'user-8812', nullable: true, type: String, description: "The account token's `sub` claim" }) subject!: string | null;
  @ApiProperty({ example: ['owner'], nullable: true, type: [String] }) roles!: string[] | null;
  @ApiProperty({ example: null, nullable: true, type: String }) api_key_id!: string | null;
  @ApiProperty({ example: 'api', enum: ['api', 'cli'], description: '`cli`: `npm run admin` or `npm run reconcile`' }) channel!: string;
  @ApiProperty({ example: null, nullable: true, type: String, description: 'The CLI user, as the CLI reports it' }) operator!: string | null;
  @ApiProperty({ example: 'subscription.change' }) action!: string;
  @ApiProperty({ example: FLOW.applicationId, nullable: true, type: String }) application_id!: string | null;
  @ApiProperty({ example: FLOW.accountId, nullable: true, type: String }) account_id!: string | null;
  @ApiProperty({ example: FLOW.merchantId, nullable: true, type: String }) merchant_id!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { subscription_id: FLOW.subscriptionId }, description: 'The ids the action is about' }) target!: Record<string, string>;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { quantity: 3 }, description: 'The parameters sent, without secrets' }) params!: Record<string, unknown>;
  @ApiProperty({ nullable: true, oneOf: STATE_SCHEMAS, example: { id: FLOW.subscriptionId, items: [{ quantity: 2 }] }, description: 'The stored state before, as the admin or account API shows it (an object, or a list such as the account\'s subscriptions); null where the action changes none' }) before!: unknown;
  @ApiProperty({ nullable: true, oneOf: STATE_SCHEMAS, example: { id: FLOW.subscriptionId, items: [{ quantity: 3 }] }, description: 'The stored state after, in the same form' }) after!: unknown;
  @ApiProperty({ type: [String], example: ['req_8fT2kLm9QpZx1a'], description: "The Request-Id of each Stripe response received while handling it (retries included)" }) stripe_request_ids!: string[];
  @ApiProperty({ enum: AUDIT_OUTCOMES, example: 'success' }) outcome!: string;
  @ApiProperty({ example: 200, description: 'The HTTP status answered' }) status!: number;
  @ApiProperty({ example: null, nullable: true, type: String, description: 'The error code answered' }) error_code!: string | null;
  @ApiProperty({ example: 84 }) duration_ms!: number;
}

export class AuditRecordListResponse {
  @ApiProperty({ type: AuditRecordView, isArray: true }) data!: AuditRecordView[];
  @ApiProperty({ example: '1001', nullable: true, type: String, description: 'Pass as `cursor` for the next (older) page; null on the last page' }) next_cursor!: string | null;
}

export function toAuditView(record: AuditRecord): AuditRecordView {
  return {
    id: String(record.id),
    occurred_at: new Date(record.occurredAt).toISOString(),
    request_id: record.requestId,
    actor_type: record.actorType,
    actor_id: record.actorId,
    subject: record.subject ?? null,
    roles: record.roles ?? null,
    api_key_id: record.apiKeyId ?? null,
    channel: record.channel,
    operator: record.operator ?? null,
    action: record.action,
    application_id: record.applicationId ?? null,
    account_id: record.accountId ?? null,
    merchant_id: record.merchantId ?? null,
    target: record.target,
    params: record.params,
    before: record.before ?? null,
    after: record.after ?? null,
    stripe_request_ids: record.stripeRequestIds,
    outcome: record.outcome,
    status: record.status,
    error_code: record.errorCode ?? null,
    duration_ms: record.durationMs,
  };
}
