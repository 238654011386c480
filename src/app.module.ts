import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { DATABASE_SCHEMA } from './database-schema.js';
import { AppPaymentCustomersModule } from './app-payment-customers/app-payment-customers.module.js';

import { Clock, SystemClock } from './infra/clock/clock.js';
import type { AppConfig } from './infra/config/config.js';
import { ConfigModule } from './infra/config/config.module.js';
import { databaseModule } from './infra/database/database.module.js';
import { ReadYourWrites } from './infra/database/read-your-writes.js';
import { ScheduledRuns } from './infra/scheduling/scheduled-runs.js';
import { AllExceptionsFilter } from './infra/errors/all-exceptions.filter.js';
import { HealthModule } from './infra/health/health.module.js';
import { loggingModule } from './infra/logging/logging.module.js';
import { MetricsModule } from './infra/metrics/metrics.module.js';
import { StripeModule } from './infra/stripe/stripe.module.js';
import { ReconcilerModule } from './reconciler/reconciler.module.js';
import { SubscriptionsModule } from './subscriptions/subscriptions.module.js';
import { TenancyModule } from './tenancy/tenancy.module.js';
import { ScheduleModule } from '@nestjs/schedule';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { AuthModule } from './auth/auth.module.js';
import { BillingPageModule } from './billing-page/billing-page.module.js';
import { AccountReadsModule } from './subscriptions/account-reads.module.js';
import { AuditModule } from './audit/audit.module.js';

export interface AppModuleOptions {
  /** Replaces the system clock (tests and local mode move time with the Stripe emulator). */
  clock?: Clock;
  /** Extra modules mounted next to the application's own (tests add probe routes this way). */
  imports?: Array<Type | DynamicModule>;
  /** Serves the fast routes (auth/fast-route.ts) through Nest's pipeline like every other route: tests compare the two answers. */
  withoutFastRoutes?: boolean;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [ConfigModule.forRoot(config), loggingModule(config), databaseModule(config, DATABASE_SCHEMA), MetricsModule.forRoot(config), StripeModule.forRoot(stripeConnection(config)), HealthModule, AuthModule, TenancyModule, ScheduleModule.forRoot(), SubscriptionsModule, WebhooksModule, AppPaymentCustomersModule, ReconcilerModule, AccountReadsModule, BillingPageModule, AuditModule, ...(options.imports ?? [])],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: Clock, useValue: options.clock ?? new SystemClock() },
        ReadYourWrites,
        ScheduledRuns,
      ],
      exports: [Clock, ReadYourWrites, ScheduledRuns],
    };
  }
}

/** The platform's Stripe connection; `main.ts` fills in the bundled emulator when no key is configured. */
function stripeConnection(config: AppConfig) {
  return {
    // Without a key (tests that never call Stripe) the client exists but every call fails as "Stripe unavailable".
    secretKey: config.STRIPE_SECRET_KEY || 'sk_test_not_configured',
    ...(config.STRIPE_API_BASE ? { apiBase: config.STRIPE_API_BASE } : {}),
    timeoutMs: config.STRIPE_TIMEOUT_MS,
    maxNetworkRetries: config.STRIPE_MAX_NETWORK_RETRIES,
    requestDeadlineMs: config.STRIPE_REQUEST_DEADLINE_MS,
  };
}
