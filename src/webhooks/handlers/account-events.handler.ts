import { Injectable } from '@nestjs/common';
import { SubscriptionMirrorRepository } from '../../subscriptions/subscription-mirror.repository.js';
import { MerchantsService } from '../../tenancy/merchants.service.js';
import type { EventContext, EventHandler } from './event-handler.js';

/**
 * account.application.deauthorized: the connected account left the platform. Its merchant is
 * marked deauthorized and its subscriptions stop granting access (the access query also checks
 * the merchant, so a later event cannot bring access back).
 */
@Injectable()
export class AccountEventsHandler implements EventHandler {
  readonly types = ['account.application.deauthorized'] as const;

  constructor(
    private readonly merchants: MerchantsService,
    private readonly mirror: SubscriptionMirrorRepository,
  ) {}

  async handle({ event, em }: EventContext): Promise<void> {
    const account = event.account;
    if (!account) return;
    const deauthorized = await this.merchants.deauthorizeMerchant(em, account, new Date(event.created * 1000));
    await this.mirror.revokeAccessForStripeAccount(em, account, deauthorized);
  }
}
