import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../infra/auth/admin.guard.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import {
  ApiKeyResponse,
  ApplicationResponse,
  CreateApplicationDto,
  CreateMerchantDto,
  IssueApiKeyDto,
  IssuedApiKeyResponse,
  MerchantResponse,
  RotateWebhookSecretDto,
  RotateWebhookSecretResponse,
  UpdateApplicationDto,
  UpdateMerchantDto,
} from './tenancy.dto.js';
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
  @ApiOperation({ operationId: 'admin.merchants.create', summary: 'Create a merchant (the platform or a connected account)' })
  @ApiCreatedResponse({ type: MerchantResponse })
  createMerchant(@Body() dto: CreateMerchantDto) {
    return this.merchants.createMerchant(dto);
  }

  @Get('merchants')
  @ApiOperation({ operationId: 'admin.merchants.list', summary: 'List merchants' })
  @ApiOkResponse({ type: MerchantResponse, isArray: true })
  async listMerchants() {
    return { data: await this.merchants.listMerchants() };
  }

  @Get('merchants/:merchant_id')
  @ApiOperation({ operationId: 'admin.merchants.get', summary: 'Show a merchant' })
  @ApiOkResponse({ type: MerchantResponse })
  getMerchant(@Param('merchant_id') id: string) {
    return this.merchants.getMerchant(id);
  }

  @Patch('merchants/:merchant_id')
  @ApiOperation({ operationId: 'admin.merchants.update', summary: 'Change a merchant' })
  @ApiOkResponse({ type: MerchantResponse })
  updateMerchant(@Param('merchant_id') id: string, @Body() dto: UpdateMerchantDto) {
    return this.merchants.updateMerchant(id, dto);
  }

  @Post('applications')
  @ApiOperation({ operationId: 'admin.applications.create', summary: 'Create an application sold through a merchant' })
  @ApiCreatedResponse({ type: ApplicationResponse })
  @ApiBadRequestResponse({ description: 'validation_failed, merchant_not_found, price_not_found (no such price on the merchant\'s Stripe account), price_inactive (archived); nothing is written' })
  @ApiResponse({ status: 502, description: 'Stripe unreachable or failing (checking a price the mirror does not hold)' })
  createApplication(@Body() dto: CreateApplicationDto) {
    return this.applications.createApplication(dto);
  }

  @Get('applications')
  @ApiOperation({ operationId: 'admin.applications.list', summary: 'List applications' })
  @ApiOkResponse({ type: ApplicationResponse, isArray: true })
  async listApplications() {
    return { data: await this.applications.listApplications() };
  }

  @Get('applications/:application_id')
  @ApiOperation({ operationId: 'admin.applications.get', summary: 'Show an application' })
  @ApiOkResponse({ type: ApplicationResponse })
  getApplication(@Param('application_id') id: string) {
    return this.applications.describe(id);
  }

  @Patch('applications/:application_id')
  @ApiOperation({ operationId: 'admin.applications.update', summary: 'Change an application; price_ids replaces the catalog' })
  @ApiOkResponse({ type: ApplicationResponse })
  @ApiBadRequestResponse({ description: 'validation_failed, price_not_found (no such price on the merchant\'s Stripe account), price_inactive (archived): checked for prices not yet in the catalog; nothing is written' })
  @ApiResponse({ status: 502, description: 'Stripe unreachable or failing (checking a price the mirror does not hold)' })
  updateApplication(@Param('application_id') id: string, @Body() dto: UpdateApplicationDto) {
    return this.applications.updateApplication(id, dto);
  }

  @Post('applications/:application_id/webhook-secret/rotate')
  @HttpCode(200)
  @ApiOperation({ operationId: 'admin.applications.rotateWebhookSecret', summary: 'Add a new webhook signing secret; the previous ones stay valid for the overlap' })
  @ApiOkResponse({ type: RotateWebhookSecretResponse })
  rotateWebhookSecret(@Param('application_id') id: string, @Body() dto: RotateWebhookSecretDto) {
    return this.applications.rotateWebhookSecret(id, { ...(dto.secret ? { secret: dto.secret } : {}), ...(dto.overlap_hours !== undefined ? { overlapHours: dto.overlap_hours } : {}) });
  }

  @Post('applications/:application_id/api-keys')
  @ApiOperation({ operationId: 'admin.applications.issueApiKey', summary: 'Issue a partner API key (the key is shown once)' })
  @ApiCreatedResponse({ type: IssuedApiKeyResponse })
  issueApiKey(@Param('application_id') id: string, @Body() dto: IssueApiKeyDto) {
    return this.keys.issueApiKey(id, dto.name);
  }

  @Get('applications/:application_id/api-keys')
  @ApiOperation({ operationId: 'admin.applications.listApiKeys', summary: "List an application's API keys (never the keys themselves)" })
  @ApiOkResponse({ type: ApiKeyResponse, isArray: true })
  async listApiKeys(@Param('application_id') id: string) {
    return { data: await this.keys.listApiKeys(id) };
  }

  @Delete('applications/:application_id/api-keys/:key_id')
  @ApiOperation({ operationId: 'admin.applications.revokeApiKey', summary: 'Revoke a partner API key' })
  @ApiOkResponse({ type: ApiKeyResponse })
  revokeApiKey(@Param('application_id') id: string, @Param('key_id') keyId: string) {
    return this.keys.revokeApiKey(id, keyId);
  }
}
