import { Global, Module } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AuthFailures } from './auth-failures.js';
import { LimitStore, MemoryLimitStore, PostgresLimitStore } from './limit-store.js';

/**
 * The counting under the request limits: the store THROTTLE_STORE names, and the failed-attempt
 * lock-out the admin guard and the partner-key guard use. Which requests count against which
 * limit is the auth module's business (auth/request-limits.guard.ts): it knows the credentials.
 */
@Global()
@Module({
  providers: [
    {
      provide: LimitStore,
      inject: [APP_CONFIG, EntityManager],
      useFactory: (config: AppConfig, em: EntityManager) => (config.THROTTLE_STORE === 'memory' ? new MemoryLimitStore() : new PostgresLimitStore(em)),
    },
    AuthFailures,
  ],
  exports: [LimitStore, AuthFailures],
})
export class ThrottlingModule {}
