import { Module } from '@nestjs/common';
import { CatalogMirrorRepository } from './catalog-mirror.repository.js';
import { FeaturesService } from './features.service.js';

@Module({ providers: [CatalogMirrorRepository, FeaturesService], exports: [CatalogMirrorRepository, FeaturesService] })
export class EntitlementsModule {}
