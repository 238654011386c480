import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { AppConfig } from '../config/config.js';
import { ormOptions } from './orm-options.js';

export function databaseModule(config: AppConfig) {
  // registerRequestContext gives every HTTP request its own identity map.
  return MikroOrmModule.forRoot({ ...ormOptions(config), registerRequestContext: true });
}
