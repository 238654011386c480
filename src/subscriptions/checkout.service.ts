import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { IdentityService } from '../identity/identity.service.js';
import { Clock } from '../infra/clock/clock.js';
import { transactionalWithRetry } from '../infra/database/object-locks.js';
import { AppError } from '../infra/errors/app-error.js';
import { lockCustomers } from '../infra/stripe/object-locks.js';
import { StripeGateway } from '../infra/stripe/stripe.gateway.js';

import { PurchaseRules } from './purchase-rules.js';

import { StripeCustomersService } from './stripe-customers.service.js';
import { SubscriptionReadRepository } from './subscription-read.repository.js';
import { SubscriptionSyncService } from './subscription-sync.service.js';
import type { CheckoutSessionResponse, CreateCheckoutSessionDto, PortalSessionResponse, SubscriptionView } from './subscriptions.dto.js';
import { idOf, stripeAccountOf } from '../infra/stripe/accounts.js';
import { type AccountContext } from '../auth/account-context.js';

/** Buying through Stripe Checkout, managing through the Customer Portal, and showing the result before the webhook. */
@Injectable()
export class CheckoutService {
  constructor(
    private readonly em: EntityManager,
    private readonly rules: PurchaseRules,
    private readonly customers: StripeCustomersService,
    private readonly identities: IdentityService,
    private readonly reads: SubscriptionReadRepository,
    private readonly sync: SubscriptionSyncService,
    private readonly gateway: StripeGateway,
    private readonly clock: Clock,
  ) {}

  async createCheckoutSession(ctx: AccountContext, dto: CreateCheckoutSessionDto, idempotencyKey?: string): Promise<CheckoutSessionResponse> {
    const em = this.em.fork();
    this.rules.requireAllowedRedirect(ctx.application, dto.success_url, 'success_url');
    this.rules.requireAllowedRedirect(ctx.application, dto.cancel_url, 'cancel_url');
    const price = await this.rules.purchasablePrice(em, ctx, dto.price_id);
    if (!ctx.application.allowMultipleSubscriptionsPerProduct) {
      const live = await this.reads.liveSubscriptionToProduct(em, ctx.accountId, ctx.application.id, price.productId);
      if (live) throw AppError.conflict('already_subscribed', `The account already has a subscription (${live}) to this product.`);
    }
    const customer = await this.customers.ensureCustomer(em, ctx, dto);
    const metadata = { account_id: ctx.accountId, application_id: ctx.application.id };
    const session = await this.gateway.call('checkout.sessions.create', (s) =>
      s.checkout.sessions.create(
        {
          mode: 'subscription',
          customer,
          client_reference_id: ctx.accountId,
          line_items: [{ price: price.id, ...(price.usageType === 'metered' ? {} : { quantity: dto.quantity ?? 1 }) }],
          success_url: dto.success_url,
          cancel_url: dto.cancel_url,
          metadata,
          subscription_data: { metadata, ...this.chargeModelData(ctx) },
        },
        this.gateway.options(ctx.merchant, idempotencyKey ? this.gateway.idempotencyKey('checkout', ctx.accountId, idempotencyKey) : undefined),
      ),
    );
    return { id: session.id, url: session.url! };
  }

  /** Platform: nothing; direct: the platform's fee on the connected account; destination: the transfer and the fee. */
  private chargeModelData(ctx: AccountContext): Stripe.Checkout.SessionCreateParams.SubscriptionData {
    const fee = ctx.merchant.applicationFeePercent ?? undefined;
    switch (ctx.merchant.chargeModel) {
      case 'direct':
        return fee !== undefined ? { application_fee_percent: fee } : {};
      case 'destination':
        return { transfer_data: { destination: ctx.merchant.stripeAccountId! }, ...(fee !== undefined ? { application_fee_percent: fee } : {}) };
      default:
        return {};
    }
  }

  async createPortalSession(ctx: AccountContext, returnUrl: string): Promise<PortalSessionResponse> {
    this.rules.requireAllowedRedirect(ctx.application, returnUrl, 'return_url');
    const identity = await this.identities.customerOf(this.em.fork(), ctx.accountId, stripeAccountOf(ctx.merchant));
    if (!identity || identity.deleted) throw AppError.notFound('identity_not_found', 'The account has no Stripe customer at this merchant yet.');
    const session = await this.gateway.call('billingPortal.sessions.create', (s) =>
      s.billingPortal.sessions.create({ customer: identity.customerId, return_url: returnUrl }, this.gateway.options(ctx.merchant)),
    );
    return { url: session.url };
  }

  /**
   * Mirrors the subscription of a completed Checkout Session right away, so that the page the
   * customer returns to can show it without waiting for the webhook. The session must have been
   * made for this account and application; anyone else's is a 404.
   */
  async syncCheckoutSession(ctx: AccountContext, sessionId: string): Promise<SubscriptionView> {
    const session = await this.gateway
      .call('checkout.sessions.retrieve', (s) =>
        s.checkout.sessions.retrieve(sessionId, { expand: ['subscription', 'subscription.latest_invoice'] }, this.gateway.options(ctx.merchant)),
      )
      .catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'stripe_resource_missing') throw notFound(sessionId);
        throw error;
      });
    const owner = session.client_reference_id ?? session.metadata?.account_id;
    const application = session.metadata?.application_id;
    if (owner !== ctx.accountId || (application && application !== ctx.application.id)) throw notFound(sessionId);
    if (session.status !== 'complete' || !session.subscription) {
      throw AppError.conflict('checkout_not_complete', `The checkout session is ${session.status}; there is no subscription yet.`);
    }
    const stripeAccount = stripeAccountOf(ctx.merchant);
    const em = this.em.fork();
    const subscription = session.subscription as Stripe.Subscription;
    await transactionalWithRetry(em, async (tx) => {
      const customerId = idOf(session.customer);
      if (customerId) {
        // The link and the subscription under the customer's lock, as the webhook worker writes them.
        await lockCustomers(tx, stripeAccount, [customerId]);
        await this.identities.link(tx, ctx.accountId, { stripeAccount, customerId, email: session.customer_details?.email ?? null, name: session.customer_details?.name ?? null });
      }
      await this.sync.applyFetchedSubscription(tx, subscription, { stripeAccount, merchantId: ctx.merchant.id, applicationId: ctx.application.id }, this.clock.nowSeconds());
    });
    return (await this.reads.view(em, subscription.id, this.clock.now()))!;
  }

}

const notFound = (sessionId: string) => AppError.notFound('checkout_session_not_found', `No checkout session ${sessionId} of this account.`);

