import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/core';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger, PinoLogger } from 'nestjs-pino';
import { AppModule, type AppModuleOptions } from './app.module.js';
import { enableAccountCors } from './auth/cors.js';
import type { AppConfig } from './infra/config/config.js';
import { applyMigrations } from './infra/database/migrations.js';
import { requestContexts } from './infra/database/request-context.js';
import { createValidationPipe } from './infra/errors/validation.js';
import { requestLogging } from './infra/logging/logging.module.js';
import { registerJsonBodyParser } from './infra/http/body-parsing.js';
import { securityHeaders } from './infra/http/security-headers.js';
import { createHttpAdapter, stripeBudgets } from './infra/http/http-adapter.js';
import { registerRequestHooks } from './infra/http/request-hooks.js';
import { setupSwagger } from './infra/http/swagger.js';
import { serveFast } from './auth/fast-route.js';
import { appPaymentCustomersFastRoutes } from './app-payment-customers/app-payment-customers.fast-route.js';
import { featuresFastRoutes } from './subscriptions/features.fast-route.js';
import { webhooksFastRoutes } from './webhooks/webhooks.fast-route.js';
import { recordHttpMetrics } from './infra/metrics/http-metrics.js';
import { MetricsServer } from './infra/metrics/metrics-server.js';
import { Metrics } from './infra/metrics/metrics.service.js';
import { ApplicationsService } from './tenancy/applications.service.js';

/**
 * Builds the whole HTTP application (used by `main.ts`, the tests and the benchmarks alike):
 * applies pending migrations, makes sure the default merchant and application exist, and wires
 * body parsing, security headers, validation, errors and the OpenAPI document.
 */
export async function createApp(config: AppConfig, options: AppModuleOptions = {}): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), createHttpAdapter(config), { bodyParser: false, bufferLogs: true });
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  registerRequestHooks(fastify, {
    securityHeaders: securityHeaders(config),
    requestLog: requestLogging(await app.resolve(PinoLogger)),
    stripeBudget: stripeBudgets(),
    requestContext: requestContexts(app.get(MikroORM)),
  });
  recordHttpMetrics(fastify, app.get(Metrics));
  registerJsonBodyParser(fastify, config.BODY_LIMIT, config.BODY_MAX_DEPTH);
  // The hottest routes (two reads and the webhook intake), served without Nest's per-request pipeline and otherwise the same (issue 17).
  if (!options.withoutFastRoutes) serveFast(app, [...appPaymentCustomersFastRoutes(app), ...featuresFastRoutes(app), ...webhooksFastRoutes()]);
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  setupSwagger(app);
  enableAccountCors(app);

  await applyMigrations(app.get(MikroORM), config.DATABASE_URL);
  await app.get(ApplicationsService).ensureDefaults(config.DEFAULT_APPLICATION_ID);
  await app.get(MetricsServer).listen();
  return app;
}
