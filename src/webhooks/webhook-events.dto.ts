import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { WEBHOOK_EVENT_STATES, type WebhookEventState } from './webhook-event.entity.js';
import { ID_PATTERN } from '../infra/ids.js';
import { OptionalNotNull } from '../infra/errors/validation.js';

export class ListWebhookEventsQuery {
  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_STATES, example: 'dead' })
  @OptionalNotNull() @IsIn(WEBHOOK_EVENT_STATES)
  state?: WebhookEventState;

  @ApiPropertyOptional({ example: 'invoice.paid' })
  @OptionalNotNull() @IsString() @Matches(/^[a-z0-9_.]{1,128}$/, { message: '$property must be a Stripe event type' })
  type?: string;

  @ApiPropertyOptional({ example: 'default' })
  @OptionalNotNull() @IsString() @Matches(ID_PATTERN, { message: '$property must be an application id' })
  application_id?: string;

  @ApiPropertyOptional({ example: 'unknown_account', description: 'Events stored but needing attention' })
  @OptionalNotNull() @IsString() @Matches(/^[a-z_]{1,64}$/, { message: '$property must be a flag name' })
  flag?: string;

  @ApiPropertyOptional({ example: 50, default: 50 })
  @OptionalNotNull() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit?: number;
}

export class WebhookEventResponse {
  @ApiProperty({ example: 'evt_1NG8Du2eZvKYlo2CUI79vXWy' }) id!: string;
  @ApiProperty({ example: 'default' }) application_id!: string;
  @ApiProperty({ example: 'platform', description: '`platform`, or the connected account (`acct_...`) of a Connect event' }) stripe_account!: string;
  @ApiProperty({ example: 'invoice.paid' }) type!: string;
  @ApiProperty({ example: 1700000000 }) stripe_created!: number;
  @ApiProperty({ enum: WEBHOOK_EVENT_STATES, example: 'processed' }) state!: WebhookEventState;
  @ApiProperty({ example: 1 }) attempts!: number;
  @ApiProperty({ example: '2026-11-20T00:00:00.000Z' }) next_attempt_at!: string;
  @ApiProperty({ example: null, nullable: true, type: String }) last_error!: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) flag!: string | null;
  @ApiProperty({
    example: null,
    nullable: true,
    type: String,
    description: 'Set when the stored payload differs from the signed one: characters PostgreSQL cannot store (NUL, unpaired surrogates) were replaced by U+FFFD',
  })
  payload_note!: string | null;
  @ApiProperty({ example: '2026-11-20T00:00:00.000Z' }) received_at!: string;
  @ApiProperty({ example: '2026-11-20T00:00:01.000Z', nullable: true, type: String }) processed_at!: string | null;
}

export class WebhookEventDetailResponse extends WebhookEventResponse {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The Stripe event as received' }) payload!: Record<string, unknown>;
}

export class ReplayResponse {
  @ApiProperty({ example: 3, description: 'Events put back in the queue' }) requeued!: number;
}

/** What the list route answers: `{ "data": [...] }`. */
export class WebhookEventListResponse {
  @ApiProperty({ type: WebhookEventResponse, isArray: true }) data!: WebhookEventResponse[];
}

/** How many stored events are in each state; a state no event is in is left out. */
export class WebhookEventStatsResponse {
  @ApiPropertyOptional({ example: 0, description: 'Stored, not yet applied' }) received?: number;
  @ApiPropertyOptional({ example: 0, description: 'Being applied by a worker' }) processing?: number;
  @ApiPropertyOptional({ example: 1280, description: 'Applied' }) processed?: number;
  @ApiPropertyOptional({ example: 2, description: 'Failed, to be retried with backoff' }) failed?: number;
  @ApiPropertyOptional({ example: 0, description: 'Failed WEBHOOK_MAX_ATTEMPTS times: replay them after fixing the cause' }) dead?: number;
}

/** The webhook intake's answer to Stripe. */
export class WebhookReceivedResponse {
  @ApiProperty({ example: true, enum: [true] }) received!: true;
  @ApiProperty({ example: false, description: 'The event was already stored (a Stripe retry or a duplicate): nothing more was done' }) duplicate!: boolean;
}
