import { Body, Controller, createParamDecorator, Get, HttpCode, Param, Post, UseGuards, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';

import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { AppPaymentCustomersDocs } from './app-payment-customers.api-docs.js';
import { BatchLookupDto, parseLookupQuery } from './app-payment-customers.dto.js';
import { AppPaymentCustomersService } from './app-payment-customers.service.js';
import { PartnerKeyGuard } from '../auth/partner-key.guard.js';
import { FromDatabaseOnly } from '../infra/http/request-hooks.js';

/**
 * The query string with every parameter as a list of its values (Fastify's parser gives a string
 * for one value and an array for repeats, and keeps every repeat: 1,001 ids are 1,001 ids).
 */
export function queryLists(request: FastifyRequest): Record<string, string[]> {
  const query = request.query as Record<string, string | string[]>;
  return Object.fromEntries(Object.entries(query).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]));
}
const QueryLists = createParamDecorator((_: unknown, ctx: ExecutionContext) => queryLists(ctx.switchToHttp().getRequest<FastifyRequest>()));

@ApiTags('app-payment-customers (partners)')
@ApiBearerAuth(AUTH_SCHEMES.partner)
@UseGuards(PartnerKeyGuard)
@Controller('api/applications/:application_id/app-payment-customers')
export class AppPaymentCustomersController {
  constructor(private readonly customers: AppPaymentCustomersService) {}

  @Get()
  @AppPaymentCustomersDocs.lookup()
  @FromDatabaseOnly()
  async lookup(@Param('application_id') applicationId: string, @QueryLists() raw: Record<string, string[]>) {
    return { app_payment_customers: await this.customers.lookup(applicationId, parseLookupQuery(raw)) };
  }

  @Post('batch')
  @HttpCode(200)
  @AppPaymentCustomersDocs.batchLookup()
  async batch(@Param('application_id') applicationId: string, @Body() dto: BatchLookupDto) {
    return { app_payment_customers: await this.customers.lookup(applicationId, dto.company_ids) };
  }
}
