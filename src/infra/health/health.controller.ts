import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { EntityManager } from '@mikro-orm/core';
import { HealthDocs } from './health.api-docs.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly em: EntityManager,
  ) {}

  @Get()
  // Documented by HealthDocs instead of terminus's generic description; not cached, as terminus's default.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @HealthDocs.check()
  check() {
    return this.health.check([() => this.database()]);
  }

  private async database() {
    const indicator = this.indicators.check('database');
    try {
      await this.em.getConnection().execute('select 1');
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
