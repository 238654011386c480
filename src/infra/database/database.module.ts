import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { AppConfig } from '../config/config.js';
import { ormOptions, type DatabaseSchema } from './orm-options.js';

export function databaseModule(config: AppConfig, schema: DatabaseSchema) {
  // Every HTTP request gets its own identity map, from a Fastify hook rather than the module's
  // middleware, so that the hot read routes can do without (see request-context.ts).
  return MikroOrmModule.forRoot({ ...ormOptions(config, schema), registerRequestContext: false });
}
