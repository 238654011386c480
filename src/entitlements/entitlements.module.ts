import { Module } from '@nestjs/common';
import { CatalogMirrorRepository } from './catalog-mirror.repository.js';

@Module({ providers: [CatalogMirrorRepository], exports: [CatalogMirrorRepository] })
export class EntitlementsModule {}
