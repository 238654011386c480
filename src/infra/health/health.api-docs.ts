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
};
