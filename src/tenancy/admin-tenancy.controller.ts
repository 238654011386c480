import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../infra/auth/admin.guard.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { CreateApplicationDto, CreateMerchantDto, IssueApiKeyDto, RotateWebhookSecretDto, UpdateApplicationDto, UpdateMerchantDto } from './tenancy.dto.js';
import { AdminTenancyDocs } from './admin-tenancy.api-docs.js';
import { ApplicationsService } from './applications.service.js';
import { MerchantsService } from './merchants.service.js';
import { PartnerKeysService } from './partner-keys.service.js';

@ApiTags('admin')
@ApiBearerAuth(AUTH_SCHEMES.admin)
@UseGuards(AdminGuard)
@Controller('admin')
export class AdminTenancyController {
  constructor(
    private readonly merchants: MerchantsService,
    private readonly applications: ApplicationsService,
    private readonly keys: PartnerKeysService,
  ) {}

  @Post('merchants')
  @AdminTenancyDocs.createMerchant()
  createMerchant(@Body() dto: CreateMerchantDto) {
    return this.merchants.createMerchant(dto);
  }

  @Get('merchants')
  @AdminTenancyDocs.listMerchants()
  async listMerchants() {
    return { data: await this.merchants.listMerchants() };
  }

  @Get('merchants/:merchant_id')
  @AdminTenancyDocs.getMerchant()
  getMerchant(@Param('merchant_id') id: string) {
    return this.merchants.getMerchant(id);
  }

  @Patch('merchants/:merchant_id')
  @AdminTenancyDocs.updateMerchant()
  updateMerchant(@Param('merchant_id') id: string, @Body() dto: UpdateMerchantDto) {
    return this.merchants.updateMerchant(id, dto);
  }

  @Post('applications')
  @AdminTenancyDocs.createApplication()
  createApplication(@Body() dto: CreateApplicationDto) {
    return this.applications.createApplication(dto);
  }

  @Get('applications')
  @AdminTenancyDocs.listApplications()
  async listApplications() {
    return { data: await this.applications.listApplications() };
  }

  @Get('applications/:application_id')
  @AdminTenancyDocs.getApplication()
  getApplication(@Param('application_id') id: string) {
    return this.applications.describe(id);
  }

  @Patch('applications/:application_id')
  @AdminTenancyDocs.updateApplication()
  updateApplication(@Param('application_id') id: string, @Body() dto: UpdateApplicationDto) {
    return this.applications.updateApplication(id, dto);
  }

  @Post('applications/:application_id/webhook-secret/rotate')
  @HttpCode(200)
  @AdminTenancyDocs.rotateWebhookSecret()
  rotateWebhookSecret(@Param('application_id') id: string, @Body() dto: RotateWebhookSecretDto) {
    return this.applications.rotateWebhookSecret(id, { ...(dto.secret ? { secret: dto.secret } : {}), ...(dto.overlap_hours !== undefined ? { overlapHours: dto.overlap_hours } : {}) });
  }

  @Post('applications/:application_id/api-keys')
  @AdminTenancyDocs.issueApiKey()
  issueApiKey(@Param('application_id') id: string, @Body() dto: IssueApiKeyDto) {
    return this.keys.issueApiKey(id, dto.name);
  }

  @Get('applications/:application_id/api-keys')
  @AdminTenancyDocs.listApiKeys()
  async listApiKeys(@Param('application_id') id: string) {
    return { data: await this.keys.listApiKeys(id) };
  }

  @Delete('applications/:application_id/api-keys/:key_id')
  @AdminTenancyDocs.revokeApiKey()
  revokeApiKey(@Param('application_id') id: string, @Param('key_id') keyId: string) {
    return this.keys.revokeApiKey(id, keyId);
  }
}
