import { Module } from '@nestjs/common';
import { AdminCatalogController } from './admin-catalog.controller.js';
import { CatalogMirrorRepository } from './catalog-mirror.repository.js';
import { CatalogSyncService } from './catalog-sync.service.js';
import { FeaturesService } from './features.service.js';

@Module({
  controllers: [AdminCatalogController],
  providers: [CatalogMirrorRepository, CatalogSyncService, FeaturesService],
  exports: [CatalogMirrorRepository, CatalogSyncService, FeaturesService],
})
export class EntitlementsModule {}
