import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { Clock } from '../infra/clock/clock.js';
import type { AppConfig } from '../infra/config/config.js';
import { APP_CONFIG } from '../infra/config/config.module.js';
import { AppError } from '../infra/errors/app-error.js';
import { ScheduledRuns } from '../infra/scheduling/scheduled-runs.js';

import { PurchaseRules } from './purchase-rules.js';
import { StripeCustomersService } from './stripe-customers.service.js';
import type { StartTrialDto, TrialView } from './subscriptions.dto.js';
import { stripeAccountOf } from '../infra/stripe/accounts.js';
import { type AccountContext } from '../auth/account-context.js';
import { sql } from '../infra/database/sql.js';

const DAY_MS = 86_400_000;

interface TrialRow {
  application_id: string;
  price_id: string;
  product_id: string;
  quantity: number;
  starts_at: Date;
  ends_at: Date;
  ended_at: Date | null;
  stripe_customer_id: string | null;
}

/**
 * Platform-managed trials, as the freee app store runs them (it does not use Stripe trials): the
 * features of the price's product for the application's trial length, at most once per account
 * and application, with a Stripe customer created up front so that buying later is one step.
 */
@Injectable()
export class TrialsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(TrialsService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly rules: PurchaseRules,
    private readonly customers: StripeCustomersService,
    private readonly clock: Clock,
    private readonly scheduled: ScheduledRuns,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    // Once per tick across instances (ScheduledRuns); expiring is idempotent anyway, the claim saves the others the statement.
    this.scheduled.schedule('trial-expiry', this.config.TRIAL_EXPIRY_CRON, () => this.expireDue());
  }

  async start(ctx: AccountContext, dto: StartTrialDto): Promise<TrialView> {
    const em = this.em.fork();
    if (await this.find(em, ctx)) throw AppError.conflict('trial_already_used', 'The account has already had its trial of this application.');
    const price = await this.rules.purchasablePrice(em, ctx, dto.price_id);
    const customerId = await this.customers.ensureCustomer(em, ctx, dto);
    const startsAt = this.clock.now();
    const endsAt = new Date(startsAt.getTime() + ctx.application.trialDays * DAY_MS);
    const inserted = await sql(em).execute<{ id: string }[]>(
      `insert into trials (id, account_id, application_id, stripe_account, stripe_customer_id, price_id, product_id, quantity, starts_at, ends_at, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())
       on conflict (account_id, application_id) do nothing returning id`,
      [crypto.randomUUID(), ctx.accountId, ctx.application.id, stripeAccountOf(ctx.merchant), customerId, price.id, price.productId, dto.quantity, startsAt, endsAt],
    );
    if (inserted.length === 0) throw AppError.conflict('trial_already_used', 'The account has already had its trial of this application.');
    return (await this.view(ctx))!;
  }

  /** The account's trial of the application; 404 trial_not_found when it has had none. */
  async get(ctx: AccountContext): Promise<TrialView> {
    const trial = await this.view(ctx);
    if (!trial) throw AppError.notFound('trial_not_found', 'The account has no trial of this application.');
    return trial;
  }

  async view(ctx: AccountContext): Promise<TrialView | undefined> {
    const row = await this.find(this.em.fork(), ctx);
    if (!row) return undefined;
    const now = this.clock.now().getTime();
    return {
      application_id: row.application_id,
      price_id: row.price_id,
      product_id: row.product_id,
      trial_quantity: row.quantity,
      trial_start: new Date(row.starts_at).toISOString(),
      trial_end: new Date(row.ends_at).toISOString(),
      stripe_customer_id: row.stripe_customer_id ?? '',
      active: row.ended_at === null && new Date(row.ends_at).getTime() > now,
    };
  }

  /**
   * Ends trials whose time is up. Reads never depend on this (they compare ends_at with now);
   * it records the end so that lookups and reports need not compute it.
   */
  async expireDue(): Promise<number> {
    const rows = await sql(this.em.fork()).execute<{ id: string }[]>(
      'update trials set ended_at = ends_at where ended_at is null and ends_at <= ? returning id',
      [this.clock.now()],
    );
    if (rows.length) this.logger.log(`ended ${rows.length} expired trial(s)`);
    return rows.length;
  }

  private async find(em: EntityManager, ctx: AccountContext): Promise<TrialRow | undefined> {
    const rows = await sql(em).execute<TrialRow[]>('select application_id, price_id, product_id, quantity, starts_at, ends_at, ended_at, stripe_customer_id from trials where account_id = ? and application_id = ?', [ctx.accountId, ctx.application.id]);
    return rows[0];
  }
}
