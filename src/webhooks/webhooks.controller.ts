import { Controller, Headers, HttpCode, Param, Post, Req } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBadRequestResponse, ApiBody, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ANY_JSON_STRINGS, type RequestWithRawBody } from '../infra/http/body-parsing.js';
import { WebhookIntakeService } from './webhook-intake.service.js';

@ApiTags('webhooks')
@Controller('api/applications/:application_id/subscriptions/stripe/webhook')
export class WebhooksController {
  constructor(private readonly intake: WebhookIntakeService) {}

  @Post()
  @HttpCode(200)
  @RouteConfig(ANY_JSON_STRINGS)
  @ApiOperation({
    operationId: 'webhooks.receive',
    summary: 'Stripe webhook endpoint of one application',
    description:
      'Point the Stripe webhook endpoint of the application (and, for Connect, its Connect endpoint) here. The Stripe-Signature header is checked against the ' +
      "application's current signing secrets; the event is stored once per Stripe id and applied asynchronously, exactly once.",
  })
  @ApiHeader({ name: 'Stripe-Signature', required: true, description: 't=<unix>,v1=<hmac>' })
  @ApiBody({ description: 'A Stripe event', schema: { type: 'object', example: { id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy', object: 'event', type: 'invoice.paid', created: 1700000000, data: { object: { id: 'in_1', object: 'invoice' } } } } })
  @ApiOkResponse({ schema: { example: { received: true, duplicate: false } } })
  @ApiBadRequestResponse({ description: 'Missing, malformed, stale or invalid signature; not a Stripe event' })
  @ApiNotFoundResponse({ description: 'Unknown application' })
  receive(@Param('application_id') applicationId: string, @Req() req: RequestWithRawBody, @Headers('stripe-signature') signature?: string) {
    return this.intake.receive(applicationId, req.rawBody, req.body, signature);
  }
}
