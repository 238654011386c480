import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../infra/auth/admin.guard.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { CreateApplicationDto, CreateMerchantDto, IssueApiKeyDto, RotateWebhookSecretDto, UpdateApplicationDto, UpdateMerchantDto } from './tenancy.dto.js';
import { AdminTenancyDocs } from './admin-tenancy.api-docs.js';
import { ApplicationsService } from './applications.service.js';
import { MerchantsService } from './merchants.service.js';
import { PartnerKeysService } from './partner-keys.service.js';
import type { ModuleRef } from '@nestjs/core';
import { Audited } from '../audit/audited.js';

type Req = { params: Record<string, string | undefined> };
/** Audit states: the application as the admin API shows it (never its secrets), and its keys (prefixes only). */
const applicationState = (refs: ModuleRef, req: Req) => refs.get(ApplicationsService, { strict: false }).describe(req.params.application_id!);
const apiKeysState = (refs: ModuleRef, req: Req) => refs.get(PartnerKeysService, { strict: false }).listApiKeys(req.params.application_id!);

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
  @Audited('merchant.create', { afterIsAnswer: true, creates: 'merchant_id' })
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
  @Audited('merchant.update', { state: (refs, req: Req) => refs.get(MerchantsService, { strict: false }).getMerchant(req.params.merchant_id!) })
  @AdminTenancyDocs.updateMerchant()
  updateMerchant(@Param('merchant_id') id: string, @Body() dto: UpdateMerchantDto) {
    return this.merchants.updateMerchant(id, dto);
  }

  @Post('applications')
  @Audited('application.create', { afterIsAnswer: true, creates: 'application_id' })
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
  @Audited('application.update', { state: applicationState })
  @AdminTenancyDocs.updateApplication()
  updateApplication(@Param('application_id') id: string, @Body() dto: UpdateApplicationDto) {
    return this.applications.updateApplication(id, dto);
  }

  @Post('applications/:application_id/webhook-secret/rotate')
  @Audited('application.rotate-secret', { state: applicationState })
  @HttpCode(200)
  @AdminTenancyDocs.rotateWebhookSecret()
  rotateWebhookSecret(@Param('application_id') id: string, @Body() dto: RotateWebhookSecretDto) {
    return this.applications.rotateWebhookSecret(id, { ...(dto.secret ? { secret: dto.secret } : {}), ...(dto.overlap_hours !== undefined ? { overlapHours: dto.overlap_hours } : {}) });
  }

  @Post('applications/:application_id/api-keys')
  @Audited('api-key.issue', { state: apiKeysState })
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
  @Audited('api-key.revoke', { state: apiKeysState })
  @AdminTenancyDocs.revokeApiKey()
  revokeApiKey(@Param('application_id') id: string, @Param('key_id') keyId: string) {
    return this.keys.revokeApiKey(id, keyId);
  }
}
