import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { AppConfig } from '../config/config.js';
import { ormOptions, type DatabaseSchema } from './orm-options.js';

export function databaseModule(config: AppConfig, schema: DatabaseSchema) {
  // registerRequestContext gives every HTTP request its own identity map.
  return MikroOrmModule.forRoot({ ...ormOptions(config, schema), registerRequestContext: true });
}
