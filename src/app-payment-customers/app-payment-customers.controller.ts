import { Body, Controller, createParamDecorator, Get, HttpCode, Param, Post, UseGuards, type ExecutionContext } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';

import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { AppPaymentCustomersResponse, BatchLookupDto, MAX_COMPANY_IDS, parseLookupQuery } from './app-payment-customers.dto.js';
import { AppPaymentCustomersService } from './app-payment-customers.service.js';
import { PartnerKeyGuard } from '../auth/partner-key.guard.js';

/**
 * The query string with every parameter as a list of its values (Fastify's parser gives a string
 * for one value and an array for repeats, and keeps every repeat: 1,001 ids are 1,001 ids).
 */
const QueryLists = createParamDecorator((_: unknown, ctx: ExecutionContext): Record<string, string[]> => {
  const query = ctx.switchToHttp().getRequest<FastifyRequest>().query as Record<string, string | string[]>;
  return Object.fromEntries(Object.entries(query).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]));
});

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
  @ApiQuery({ name: 'company_id', required: true, type: String, example: '1234567,7654321', description: `A freee company_id (our account id); repeat it or separate with commas, up to ${MAX_COMPANY_IDS} in all` })
  @ApiOkResponse({ type: AppPaymentCustomersResponse })
  async lookup(@Param('application_id') applicationId: string, @QueryLists() raw: Record<string, string[]>) {
    return { app_payment_customers: await this.customers.lookup(applicationId, parseLookupQuery(raw)) };
  }

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({ operationId: 'appPaymentCustomers.batchLookup', summary: 'The same lookup for up to 1,000 company ids in one call' })
  @ApiOkResponse({ type: AppPaymentCustomersResponse })
  async batch(@Param('application_id') applicationId: string, @Body() dto: BatchLookupDto) {
    return { app_payment_customers: await this.customers.lookup(applicationId, dto.company_ids) };
  }
}
