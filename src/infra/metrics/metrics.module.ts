import { Global, Inject, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { collectDatabasePool } from './database-pool.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsServer } from './metrics-server.js';
import { Metrics } from './metrics.service.js';

/**
 * Prometheus metrics: the registry (Metrics, injectable everywhere) and where /metrics is served:
 * on PORT behind the admin token, or, with METRICS_PORT, on a listener of its own and not on PORT.
 */
@Global()
@Module({})
export class MetricsModule implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    private readonly orm: MikroORM,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: MetricsModule,
      controllers: config.METRICS_PORT === null ? [MetricsController] : [],
      // The admin guard comes from the global AuthModule, with whatever it depends on.
      providers: [Metrics, MetricsServer],
      exports: [Metrics, MetricsServer],
    };
  }

  onModuleInit(): void {
    this.metrics.onScrape('database_pool', collectDatabasePool(this.metrics, this.orm, this.config.DATABASE_POOL_MAX));
  }
}
