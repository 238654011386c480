import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/core';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppModuleOptions } from './app.module.js';
import type { AppConfig } from './infra/config/config.js';
import { createValidationPipe } from './infra/errors/validation.js';
import { jsonBodyParser } from './infra/http/body-parsing.js';
import { setupSwagger } from './infra/http/swagger.js';
import { TenancyService } from './tenancy/tenancy.service.js';

/**
 * Builds the whole HTTP application (used by `main.ts`, the tests and the benchmarks alike):
 * applies pending migrations, makes sure the default merchant and application exist, and wires
 * body parsing, validation, errors and the OpenAPI document.
 */
export async function createApp(config: AppConfig, options: AppModuleOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options), { bodyParser: false, bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // No ETags: an API answer is never cached by its clients, and express would hash every body for one.
  app.set('etag', false);
  // Flat query parameters only (no `a[b]=c` objects): every query DTO is flat.
  app.set('query parser', 'simple');
  app.use(jsonBodyParser(config.BODY_LIMIT));
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  setupSwagger(app);

  await app.get(MikroORM).migrator.up();
  await app.get(TenancyService).ensureDefaults(config.DEFAULT_APPLICATION_ID);
  return app;
}
