import { Controller, Get, HttpStatus, Inject, ServiceUnavailableException } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult, type HealthIndicatorResult } from '@nestjs/terminus';
import { EntityManager, MikroORM } from '@mikro-orm/core';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AppError } from '../errors/app-error.js';
import { HealthDocs } from './health.api-docs.js';

/** A readiness failure is a start-up, a migration or a database outage of the moment: look again soon. */
const NOT_READY_RETRY_AFTER_SECONDS = 5;

/** What the readiness probe needs of the webhook worker (src/webhooks), found by name: infra imports no domain module. */
interface BackgroundLoops {
  isRunning(): boolean;
}
const WEBHOOK_WORKER = 'WebhookWorker';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly em: EntityManager,
    private readonly orm: MikroORM,
    private readonly discovery: DiscoveryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  // Documented by HealthDocs instead of terminus's generic description; not cached, as terminus's default.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @HealthDocs.check()
  check(): Promise<HealthCheckResult> {
    return this.checkOr503([() => this.database()], 'service_unavailable', () => 'The database could not be reached.');
  }

  /** Liveness: the process answers. Touches nothing else, so a database outage never gets the process restarted. */
  @Get('live')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @HealthDocs.live()
  live() {
    return this.health.check([]);
  }

  /**
   * Readiness: the database answers, no migration is pending, and the webhook worker runs where it
   * is enabled. Failing, the service's own error format (`not_ready`, each check in
   * `details.checks`) rather than terminus's exception.
   */
  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @HealthDocs.ready()
  async ready(): Promise<HealthCheckResult> {
    const checks = [() => this.database(), () => this.migrations(), ...(this.config.WEBHOOK_WORKER_ENABLED ? [() => this.webhookWorker()] : [])];
    return this.checkOr503(checks, 'not_ready', (down) => `Not ready: ${down.join(', ')}.`);
  }

  /** Runs the checks; a failing one answers 503 in the service's own error format (each check in `details.checks`), not terminus's exception. */
  private async checkOr503(checks: (() => HealthIndicatorResult | Promise<HealthIndicatorResult>)[], code: 'not_ready' | 'service_unavailable', message: (down: string[]) => string): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      const down = Object.keys(result.error ?? {});
      throw new AppError(HttpStatus.SERVICE_UNAVAILABLE, code, message(down), { checks: result.details }, NOT_READY_RETRY_AFTER_SECONDS);
    }
  }

  private async database(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('database');
    try {
      await this.em.getConnection().execute('select 1');
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }

  /** A pending migration means this code runs on a schema older than it expects (the image rolled out before `npm run migrate`). */
  private async migrations(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('migrations');
    try {
      const pending = await this.orm.migrator.getPending();
      return pending.length === 0 ? indicator.up() : indicator.down({ pending: pending.map((m) => m.name) });
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }

  private webhookWorker(): HealthIndicatorResult {
    const indicator = this.indicators.check('webhook_worker');
    const worker = this.discovery.getProviders().find((wrapper) => wrapper.name === WEBHOOK_WORKER)?.instance as BackgroundLoops | undefined;
    return worker?.isRunning() ? indicator.up() : indicator.down({ message: worker ? 'the webhook worker is not running' : 'no webhook worker in this process' });
  }
}
