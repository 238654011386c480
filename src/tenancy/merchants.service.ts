import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { exec } from '../infra/database/sql.js';
import { AppError } from '../infra/errors/app-error.js';
import { orConflict } from './conflicts.js';
import { Merchant } from './merchant.entity.js';
import { TenancyCache } from './tenancy-cache.js';
import type { CreateMerchantDto, MerchantResponse, UpdateMerchantDto } from './tenancy.dto.js';

/** Merchants: the Stripe accounts that sell (the platform, connected accounts), and their state. */
@Injectable()
export class MerchantsService {
  constructor(
    private readonly em: EntityManager,
    private readonly cache: TenancyCache,
  ) {}

  async createMerchant(dto: CreateMerchantDto): Promise<MerchantResponse> {
    const needsAccount = dto.charge_model !== 'platform';
    if (needsAccount && !dto.stripe_account_id) {
      throw AppError.badRequest('stripe_account_required', `A ${dto.charge_model} merchant needs stripe_account_id (acct_...).`);
    }
    if (!needsAccount && dto.stripe_account_id) {
      throw AppError.badRequest('stripe_account_not_allowed', 'A platform merchant sells on the platform account: leave stripe_account_id out.');
    }
    if (!needsAccount && dto.application_fee_percent !== undefined) {
      throw AppError.badRequest('application_fee_not_allowed', 'A platform merchant takes no application fee.');
    }
    const em = this.em.fork();
    const merchant = em.create(Merchant, {
      id: dto.id ?? slugify(dto.display_name),
      displayName: dto.display_name,
      chargeModel: dto.charge_model,
      stripeAccountId: dto.stripe_account_id ?? null,
      applicationFeePercent: dto.application_fee_percent ?? null,
      country: dto.country ?? 'JP',
      defaultCurrency: dto.default_currency ?? 'jpy',
    });
    await orConflict(em.flush(), 'merchant_exists', 'A merchant with this id or connected account already exists.');
    return toMerchantResponse(merchant);
  }

  async listMerchants(): Promise<MerchantResponse[]> {
    const merchants = await this.em.fork().find(Merchant, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
    return merchants.map(toMerchantResponse);
  }

  async getMerchant(id: string): Promise<MerchantResponse> {
    return toMerchantResponse(await this.findMerchant(id));
  }

  async updateMerchant(id: string, dto: UpdateMerchantDto): Promise<MerchantResponse> {
    const em = this.em.fork();
    const merchant = await this.findMerchant(id, em);
    if (dto.application_fee_percent !== undefined && merchant.chargeModel === 'platform') {
      throw AppError.badRequest('application_fee_not_allowed', 'A platform merchant takes no application fee.');
    }
    em.assign(merchant, {
      ...(dto.display_name !== undefined ? { displayName: dto.display_name } : {}),
      ...(dto.application_fee_percent !== undefined ? { applicationFeePercent: dto.application_fee_percent } : {}),
      ...(dto.country !== undefined ? { country: dto.country } : {}),
      ...(dto.default_currency !== undefined ? { defaultCurrency: dto.default_currency } : {}),
    });
    await this.cache.commit(em, { merchant: id });
    return toMerchantResponse(merchant);
  }

  /** The merchant; 404 `merchant_not_found` when there is none with that id. */
  async findMerchant(id: string, em: EntityManager = this.em.fork()): Promise<Merchant> {
    const merchant = await em.findOne(Merchant, id);
    if (!merchant) throw AppError.notFound('merchant_not_found', `No merchant "${id}".`);
    return merchant;
  }

  /** The merchants that sell now (not deauthorized), in id order. */
  async activeMerchants(): Promise<Merchant[]> {
    return this.em.fork().find(Merchant, { status: 'active' }, { orderBy: { id: 'asc' } });
  }

  /** Destination merchants by their connected account: whose a platform subscription paying out to that account is. */
  async destinationMerchants(): Promise<Map<string, string>> {
    const rows = await this.em.fork().find(Merchant, { chargeModel: 'destination' }, { fields: ['id', 'stripeAccountId'] });
    return new Map(rows.filter((m) => m.stripeAccountId).map((m) => [m.stripeAccountId!, m.id]));
  }

  /** The merchant of a connected account, or null; read in `em` (a worker's transaction, or a fork). */
  async merchantIdOfStripeAccount(em: EntityManager, stripeAccount: string): Promise<string | null> {
    const rows = await exec<{ id: string }>(em, 'select id from merchants where stripe_account_id = ?', [stripeAccount]);
    return rows[0]?.id ?? null;
  }

  /**
   * account.application.deauthorized: the merchant of the connected account left the platform. Marked
   * in the caller's transaction (the first deauthorization's time is kept) and announced, so that
   * every instance reads the merchant afresh. Returns the merchants marked (none when no merchant
   * has that account).
   */
  async deauthorizeMerchant(em: EntityManager, stripeAccount: string, at: Date): Promise<string[]> {
    const rows = await exec<{ id: string }>(
      em,
      `update merchants set status = 'deauthorized', deauthorized_at = coalesce(deauthorized_at, ?), updated_at = now() where stripe_account_id = ? returning id`,
      [at, stripeAccount],
    );
    for (const { id } of rows) await this.cache.announce(em, { merchant: id });
    return rows.map((r) => r.id);
  }
}

function toMerchantResponse(m: Merchant): MerchantResponse {
  return {
    id: m.id,
    display_name: m.displayName,
    charge_model: m.chargeModel,
    stripe_account_id: m.stripeAccountId ?? null,
    application_fee_percent: m.applicationFeePercent ?? null,
    country: m.country,
    default_currency: m.defaultCurrency,
    status: m.status,
    created_at: m.createdAt.toISOString(),
  };
}

function slugify(name: string): string {
  const slug = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return slug || `merchant-${Date.now().toString(36)}`;
}
