import { Module } from '@nestjs/common';
import { AdminTenancyController } from './admin-tenancy.controller.js';
import { TenancyService } from './tenancy.service.js';

@Module({ controllers: [AdminTenancyController], providers: [TenancyService], exports: [TenancyService] })
export class TenancyModule {}
