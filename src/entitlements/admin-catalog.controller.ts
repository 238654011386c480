import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { AdminGuard } from '../infra/auth/admin.guard.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { AdminCatalogDocs } from './admin-catalog.api-docs.js';
import { CatalogSyncService } from './catalog-sync.service.js';
import { ID_PATTERN } from '../infra/ids.js';
import { OptionalNotNull } from '../infra/errors/validation.js';
import { Audited } from '../audit/audited.js';

export class CatalogSyncDto {
  @ApiPropertyOptional({ example: 'platform', description: 'Only this merchant; every active merchant when omitted' })
  @OptionalNotNull() @IsString() @Matches(ID_PATTERN, { message: '$property must be a merchant id' })
  merchant_id?: string;
}

@ApiTags('admin')
@ApiBearerAuth(AUTH_SCHEMES.admin)
@UseGuards(AdminGuard)
@Controller('admin/catalog-sync')
export class AdminCatalogController {
  constructor(private readonly catalogSync: CatalogSyncService) {}

  @Post()
  @HttpCode(200)
  @Audited('catalog.sync', { afterIsAnswer: true })
  @AdminCatalogDocs.sync(CatalogSyncDto)
  async sync(@Body() dto: CatalogSyncDto) {
    return { data: await this.catalogSync.sync(dto.merchant_id) };
  }
}
