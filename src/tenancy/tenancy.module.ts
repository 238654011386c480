import { Module } from '@nestjs/common';
import { DatabaseNotificationsModule } from '../infra/database/notifications.js';
import { AdminTenancyController } from './admin-tenancy.controller.js';
import { TenancyService } from './tenancy.service.js';

@Module({ imports: [DatabaseNotificationsModule], controllers: [AdminTenancyController], providers: [TenancyService], exports: [TenancyService] })
export class TenancyModule {}
