import { Module } from '@nestjs/common';
import { DatabaseNotificationsModule } from '../infra/database/notifications.js';
import { AdminTenancyController } from './admin-tenancy.controller.js';
import { ApplicationsService } from './applications.service.js';
import { MerchantsService } from './merchants.service.js';
import { PartnerKeysService } from './partner-keys.service.js';
import { TenancyCache } from './tenancy-cache.js';

const SERVICES = [MerchantsService, ApplicationsService, PartnerKeysService];

/** Merchants, applications (catalog, webhook secrets) and partner API keys, and the cache that follows their changes on every instance. */
@Module({ imports: [DatabaseNotificationsModule], controllers: [AdminTenancyController], providers: [TenancyCache, ...SERVICES], exports: SERVICES })
export class TenancyModule {}
