import { Body, Controller, createParamDecorator, Get, HttpCode, Param, Post, UseGuards, type ExecutionContext } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { PartnerKeyGuard } from '../infra/auth/partner-key.guard.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { AppPaymentCustomersResponse, BatchLookupDto, MAX_COMPANY_IDS, parseLookupQuery } from './app-payment-customers.dto.js';
import { AppPaymentCustomersService } from './app-payment-customers.service.js';

/**
 * The query string exactly as sent, every repeated parameter kept. The application's query parser
 * (qs) turns more than 20 repeats of `company_id` into an object and keeps only the first 1,000
 * parameters, so a list of 21 ids was refused and one of 1,001 was cut to 1,000 without a word.
 */
const RawQuery = createParamDecorator((_: unknown, ctx: ExecutionContext): Record<string, string[]> => {
  const req = ctx.switchToHttp().getRequest<Request>();
  const params = new URL(req.originalUrl ?? req.url, 'http://localhost').searchParams;
  const query: Record<string, string[]> = {};
  for (const [name, value] of params) (query[name] ??= []).push(value);
  return query;
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
  async lookup(@Param('application_id') applicationId: string, @RawQuery() raw: Record<string, string[]>) {
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
