import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';

import { IdentityService } from '../identity/identity.service.js';
import { Clock } from '../infra/clock/clock.js';
import { transactionalWithRetry } from '../infra/database/object-locks.js';
import { AppError } from '../infra/errors/app-error.js';
import { StripeGateway } from '../infra/stripe/stripe.gateway.js';

import { SubscriptionMirrorRepository } from './subscription-mirror.repository.js';
import { SubscriptionReadRepository } from './subscription-read.repository.js';
import { ReadYourWrites } from '../infra/database/read-your-writes.js';
import { SubscriptionSyncService } from './subscription-sync.service.js';
import type { IdentityView, MerchantView, SubscriptionView, SyncResponse } from './subscriptions.dto.js';
import { PLATFORM_ACCOUNT, stripeAccountOf } from '../infra/stripe/accounts.js';
import { type AccountContext } from '../auth/account-context.js';
import { sql } from '../infra/database/sql.js';

/** What an account sees of its billing (list, identity, merchants), and its on-demand sync from Stripe. */
@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly em: EntityManager,
    private readonly reads: SubscriptionReadRepository,
    private readonly mirror: SubscriptionMirrorRepository,
    private readonly identities: IdentityService,
    private readonly sync: SubscriptionSyncService,
    private readonly gateway: StripeGateway,
    private readonly clock: Clock,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  list(ctx: AccountContext): Promise<SubscriptionView[]> {
    return this.reads.listForAccount(this.em.fork(), ctx.accountId, ctx.application.id, this.clock.now(), this.readYourWrites.targetFor(ctx.accountId));
  }

  async identity(ctx: AccountContext): Promise<IdentityView> {
    const stripeAccount = stripeAccountOf(ctx.merchant);
    const identity = await this.identities.customerOf(this.em.fork(), ctx.accountId, stripeAccount);
    if (!identity || identity.deleted) throw AppError.notFound('identity_not_found', 'The account has no Stripe customer at this merchant yet.');
    return {
      account_id: ctx.accountId,
      stripe_customer_id: identity.customerId,
      stripe_account: stripeAccount === PLATFORM_ACCOUNT ? null : stripeAccount,
      email: identity.email,
      name: identity.name,
    };
  }

  /** The merchants through which the application sells (one today: the application's own). */
  async merchants(ctx: AccountContext): Promise<MerchantView[]> {
    const identity = await this.identities.customerOf(this.em.fork(), ctx.accountId, stripeAccountOf(ctx.merchant));
    const m = ctx.merchant;
    return [
      {
        id: m.id,
        display_name: m.displayName,
        country: m.country,
        currency: m.defaultCurrency,
        charge_model: m.chargeModel,
        status: m.status,
        has_identity: Boolean(identity && !identity.deleted),
      },
    ];
  }

  /**
   * Pulls the account's subscriptions from Stripe (one list call per 100) and mirrors them. With
   * `allowDeletes`, local subscriptions of the account that Stripe no longer has are removed;
   * without it they are kept and counted as missing (and flagged).
   */
  async syncFromStripe(ctx: AccountContext, allowDeletes: boolean): Promise<SyncResponse> {
    const stripeAccount = stripeAccountOf(ctx.merchant);
    const em = this.em.fork();
    const identity = await this.identities.customerOf(em, ctx.accountId, stripeAccount);
    const readAt = this.clock.nowSeconds();
    const remote = identity
      ? await this.gateway.call('subscriptions.list', (s) =>
          s.subscriptions
            .list({ customer: identity.customerId, status: 'all', limit: 100, expand: ['data.latest_invoice'] }, this.gateway.options(ctx.merchant))
            .autoPagingToArray({ limit: 10_000 }),
        )
      : [];
    // Only this application's subscriptions: others of the same customer belong to other applications.
    const mine = remote.filter((s) => !s.metadata?.application_id || s.metadata.application_id === ctx.application.id);
    const counts = { created: 0, updated: 0, deleted: 0, unchanged: 0, missing: 0 };
    await transactionalWithRetry(em, async (tx) => {
      const outcome = await this.sync.applyListingPage(tx, mine, stripeAccount, () => ({ merchantId: ctx.merchant.id, applicationId: ctx.application.id }), readAt);
      for (const result of outcome.values()) {
        if (result === 'created') counts.created += 1;
        else if (result === 'updated') counts.updated += 1;
        else counts.unchanged += 1;
      }
      const local = await sql(tx).execute<{ id: string }[]>('select id from subscriptions where account_id = ? and application_id = ?', [ctx.accountId, ctx.application.id]);
      const remoteIds = new Set(remote.map((s) => s.id));
      const vanished = local.map((r) => r.id).filter((id) => !remoteIds.has(id));
      const removed = await this.mirror.removeOrFlag(tx, vanished, allowDeletes, this.clock.now());
      counts.deleted = removed.deleted;
      counts.missing = removed.flagged;
    });
    return { ...counts, data: await this.reads.listForAccount(em, ctx.accountId, ctx.application.id, this.clock.now()) };
  }
}
