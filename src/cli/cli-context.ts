import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/core';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import type { AppConfig } from '../infra/config/config.js';
import { ApplicationsService } from '../tenancy/applications.service.js';
import { applyMigrations } from '../infra/database/migrations.js';

export interface CliContext {
  app: INestApplicationContext;
  close(): Promise<void>;
}

/**
 * The service without its HTTP server, for code that calls its services directly (the reconcile
 * benchmark): the same modules and services, with the same start-up work as `createApp` (pending
 * migrations, default merchant and application). The admin and reconcile commands go through the
 * admin API instead (admin-client.ts).
 */
export async function openCliContext(config: AppConfig): Promise<CliContext> {
  // A command is short-lived and runs next to the service: it must not apply webhook events
  // (its context starts before the migrations below, and would stop in the middle of a batch).
  const cliConfig: AppConfig = { ...config, WEBHOOK_WORKER_ENABLED: false, RECONCILER_ENABLED: false };
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(cliConfig), { logger: false });
  try {
    await applyMigrations(app.get(MikroORM), cliConfig.DATABASE_URL);
    await app.get(ApplicationsService).ensureDefaults(cliConfig.DEFAULT_APPLICATION_ID);
    return { app, close: () => app.close() };
  } catch (error) {
    await app.close();
    throw error;
  }
}
