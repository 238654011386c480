import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty } from '@nestjs/swagger';
import { ApiErrors } from '../http/errors.api-docs.js';

/** One indicator's state, as @nestjs/terminus reports it. */
class HealthIndicatorView {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' }) status!: string;
}

class HealthIndicators {
  @ApiProperty({ type: HealthIndicatorView, description: 'PostgreSQL answers `select 1`' }) database!: HealthIndicatorView;
}

export class HealthResponse {
  @ApiProperty({ enum: ['ok'], example: 'ok' }) status!: string;
  @ApiProperty({ type: HealthIndicators }) info!: HealthIndicators;
  @ApiProperty({ type: 'object', additionalProperties: true, example: {}, description: 'Indicators that are down: none when healthy' }) error!: Record<string, unknown>;
  @ApiProperty({ type: HealthIndicators }) details!: HealthIndicators;
}

class ReadinessIndicators {
  @ApiProperty({ type: HealthIndicatorView, description: 'PostgreSQL answers `select 1`' }) database!: HealthIndicatorView;
  @ApiProperty({ type: HealthIndicatorView, description: 'No migration is pending (MikroORM migrator)' }) migrations!: HealthIndicatorView;
  @ApiProperty({ type: HealthIndicatorView, required: false, description: 'The webhook worker\'s loops run; present only where WEBHOOK_WORKER_ENABLED' }) webhook_worker?: HealthIndicatorView;
}

export class LivenessResponse {
  @ApiProperty({ enum: ['ok'], example: 'ok' }) status!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: {}, description: 'No indicator: the process answering is the whole check' }) info!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, example: {} }) error!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, example: {} }) details!: Record<string, unknown>;
}

export class ReadinessResponse {
  @ApiProperty({ enum: ['ok'], example: 'ok' }) status!: string;
  @ApiProperty({ type: ReadinessIndicators }) info!: ReadinessIndicators;
  @ApiProperty({ type: 'object', additionalProperties: true, example: {}, description: 'Indicators that are down: none when ready' }) error!: Record<string, unknown>;
  @ApiProperty({ type: ReadinessIndicators }) details!: ReadinessIndicators;
}

const READY = { database: { status: 'up' }, migrations: { status: 'up' }, webhook_worker: { status: 'up' } };

/**
 * The health check's OpenAPI description, written here rather than by @nestjs/terminus (whose
 * generic one describes indicators this service does not have): the 503 is the service's error
 * format, since the exception filter renders terminus's exception as every other.
 */
export const HealthDocs = {
  check: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'health.check',
        summary: 'Process up and database reachable',
        description: 'For load balancers and orchestrators: 200 when the process is up and PostgreSQL answers, 503 (with Retry-After) otherwise. No credentials; never cached.',
      }),
      ApiOkResponse({ type: HealthResponse, description: 'Healthy', example: { status: 'ok', info: { database: { status: 'up' } }, error: {}, details: { database: { status: 'up' } } } }),
      ApiErrors({ 503: ['service_unavailable'] }),
    ),
  live: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'health.live',
        summary: 'Liveness: the process answers',
        description: 'For a liveness probe: 200 whenever the process serves HTTP; it checks nothing else, so a database outage does not get the process restarted. No credentials; never cached.',
      }),
      ApiOkResponse({ type: LivenessResponse, description: 'Alive', example: { status: 'ok', info: {}, error: {}, details: {} } }),
    ),
  ready: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'health.ready',
        summary: 'Readiness: database reachable, migrations applied, worker running',
        description:
          'For a readiness probe (and the image\'s HEALTHCHECK): 200 when PostgreSQL answers, no migration is pending and, where WEBHOOK_WORKER_ENABLED, the webhook worker runs; otherwise 503 `not_ready` with each check in `details.checks` and Retry-After. No credentials; never cached.',
      }),
      ApiOkResponse({ type: ReadinessResponse, description: 'Ready', example: { status: 'ok', info: READY, error: {}, details: READY } }),
      ApiErrors({ 503: ['not_ready'] }),
    ),
};
