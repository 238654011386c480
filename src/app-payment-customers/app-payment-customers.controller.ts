import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { PartnerKeyGuard } from '../infra/auth/partner-key.guard.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { AppPaymentCustomersResponse, BatchLookupDto, LookupQuery } from './app-payment-customers.dto.js';
import { AppPaymentCustomersService } from './app-payment-customers.service.js';

@ApiTags('app-payment-customers (partners)')
@ApiBearerAuth(AUTH_SCHEMES.partner)
@ApiParam({ name: 'application_id', example: 'default' })
@ApiUnauthorizedResponse({ description: 'No, unknown or revoked API key' })
@ApiForbiddenResponse({ description: 'The API key belongs to another application' })
@ApiBadRequestResponse({ description: 'Missing or malformed company_id, more than 1,000' })
@UseGuards(PartnerKeyGuard)
@Controller('api/applications/:application_id/app-payment-customers')
export class AppPaymentCustomersController {
  constructor(private readonly customers: AppPaymentCustomersService) {}

  @Get()
  @ApiOperation({
    operationId: 'appPaymentCustomers.lookup',
    summary: "A company's contract with the application (freee AppPaymentCustomers)",
    description: 'Unknown companies are left out of the list (no error). `company_id` may be repeated, or comma-separated, up to 1,000.',
  })
  @ApiOkResponse({ type: AppPaymentCustomersResponse })
  async lookup(@Param('application_id') applicationId: string, @Query() query: LookupQuery) {
    return { app_payment_customers: await this.customers.lookup(applicationId, query.company_id) };
  }

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({ operationId: 'appPaymentCustomers.batchLookup', summary: 'The same lookup for up to 1,000 company ids in one call' })
  @ApiOkResponse({ type: AppPaymentCustomersResponse })
  async batch(@Param('application_id') applicationId: string, @Body() dto: BatchLookupDto) {
    return { app_payment_customers: await this.customers.lookup(applicationId, dto.company_ids) };
  }
}
