import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';
import type { ReconcileRun } from './reconcile-run.entity.js';
import { ID_PATTERN } from '../infra/ids.js';
import { OptionalNotNull } from '../infra/errors/validation.js';

export class StartReconcileDto {
  @ApiPropertyOptional({ enum: ['platform', 'merchant', 'account'], default: 'platform', example: 'account', description: 'platform: every merchant; merchant: one; account: one account' })
  @OptionalNotNull() @IsIn(['platform', 'merchant', 'account'])
  scope?: 'platform' | 'merchant' | 'account';

  @ApiPropertyOptional({ example: 'platform' })
  @OptionalNotNull() @IsString() @Matches(ID_PATTERN, { message: '$property must be a merchant id' })
  merchant_id?: string;

  @ApiPropertyOptional({ example: 'ACME' })
  @OptionalNotNull() @IsString() @Length(1, 255)
  account_id?: string;

  @ApiPropertyOptional({ example: false, description: 'Remove subscriptions Stripe no longer has (otherwise they are flagged)' })
  @OptionalNotNull() @IsBoolean()
  allow_deletes?: boolean;

  @ApiPropertyOptional({ example: false, description: 'Answer when the run has finished instead of at once' })
  @OptionalNotNull() @IsBoolean()
  wait?: boolean;
}

export class ListRunsQuery {
  @ApiPropertyOptional({ example: 20, default: 50 })
  @OptionalNotNull() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit?: number;
}

export class ReconcileRunView {
  @ApiProperty({ example: '6f1c7d4e-8a0b-4c39-9d0e-5b7f3f1e2a61' }) id!: string;
  @ApiProperty({ example: 'platform' }) scope!: string;
  @ApiProperty({ example: null, nullable: true, type: String }) merchant_id!: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) account_id!: string | null;
  @ApiProperty({ example: 'admin', enum: ['schedule', 'admin', 'cli'] }) trigger!: string;
  @ApiProperty({ example: false }) allow_deletes!: boolean;
  @ApiProperty({ example: 'succeeded', enum: ['running', 'succeeded', 'failed', 'skipped'] }) status!: string;
  @ApiProperty({ example: '2026-11-20T03:00:00.000Z' }) started_at!: string;
  @ApiProperty({ example: '2026-11-20T03:00:21.000Z', nullable: true, type: String }) finished_at!: string | null;
  @ApiProperty({ example: 12 }) created!: number;
  @ApiProperty({ example: 3 }) updated!: number;
  @ApiProperty({ example: 0 }) deleted!: number;
  @ApiProperty({ example: 99985 }) unchanged!: number;
  @ApiProperty({ example: 0, description: 'Kept although Stripe no longer has them (allow_deletes false)' }) flagged!: number;
  @ApiProperty({ example: 1003 }) stripe_calls!: number;
  @ApiProperty({ example: 33, description: 'Windows of `created` the listing was split into, each listed by its own cursor chain side by side' }) windows!: number;
  @ApiProperty({ example: 2, description: 'Windows that held nothing: each cost one call (a probe)' }) empty_windows!: number;
  @ApiProperty({ example: 47.8, nullable: true, type: Number, description: 'Effective Stripe requests per second of the run (stripe_calls over its duration); null while it runs' }) requests_per_second!: number | null;
  @ApiProperty({
    example: null,
    nullable: true,
    type: String,
    description:
      'Why a failed run failed. `interrupted: …` when its instance stopped before the run ended (a deploy: the pages listed were written, the counts say what it did) or was gone (a crash: closed by the next run of the same Stripe accounts); the next run picks up what was missed.',
  })
  error!: string | null;
}

export function toRunView(run: ReconcileRun): ReconcileRunView {
  return {
    id: run.id,
    scope: run.scope,
    merchant_id: run.merchantId ?? null,
    account_id: run.accountId ?? null,
    trigger: run.trigger,
    allow_deletes: run.allowDeletes,
    status: run.status,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt?.toISOString() ?? null,
    created: run.created,
    updated: run.updated,
    deleted: run.deleted,
    unchanged: run.unchanged,
    flagged: run.flagged,
    stripe_calls: run.stripeCalls,
    windows: run.windows,
    empty_windows: run.emptyWindows,
    requests_per_second: requestsPerSecond(run),
    error: run.error ?? null,
  };
}

export function requestsPerSecond(run: ReconcileRun): number | null {
  if (!run.finishedAt) return null;
  const seconds = (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000;
  return Math.round((run.stripeCalls / Math.max(seconds, 0.001)) * 10) / 10;
}

/** What the list route answers: `{ "data": [...] }`, newest first. */
export class ReconcileRunListResponse {
  @ApiProperty({ type: ReconcileRunView, isArray: true }) data!: ReconcileRunView[];
}
