import { Controller, Headers, HttpCode, Param, Post, Req } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiTags } from '@nestjs/swagger';
import { ANY_JSON_STRINGS, type RequestWithRawBody } from '../infra/http/body-parsing.js';
import { FROM_DATABASE_ONLY } from '../infra/http/request-hooks.js';
import { LimitedAs } from '../infra/throttling/limit-kind.js';
import { WebhookIntakeService } from './webhook-intake.service.js';
import { WebhooksDocs } from './webhooks.api-docs.js';

@ApiTags('webhooks')
@Controller('api/applications/:application_id/subscriptions/stripe/webhook')
// Counted per application (THROTTLE_WEBHOOK_LIMIT, generous) rather than per address: Stripe sends from a few addresses for every merchant.
@LimitedAs('webhook')
export class WebhooksController {
  constructor(private readonly intake: WebhookIntakeService) {}

  @Post()
  @HttpCode(200)
  // The intake reads its secrets from the cache and stores through a prepared statement (forking where it reads otherwise), and never calls Stripe.
  @RouteConfig({ ...ANY_JSON_STRINGS, ...FROM_DATABASE_ONLY })
  @WebhooksDocs.receive()
  receive(@Param('application_id') applicationId: string, @Req() req: RequestWithRawBody, @Headers('stripe-signature') signature?: string) {
    return this.intake.receive(applicationId, req.rawBody, req.body, signature);
  }
}
