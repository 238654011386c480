import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import type { AppConfig } from '../infra/config/config.js';
import { APP_CONFIG } from '../infra/config/config.module.js';
import { Clock } from '../infra/clock/clock.js';
import { DatabaseNotifications } from '../infra/database/notifications.js';
import { exec } from '../infra/database/sql.js';
import { AppError } from '../infra/errors/app-error.js';
import { ID_PATTERN } from '../infra/ids.js';
import { StripeGateway } from '../infra/stripe/stripe.gateway.js';
import type { PartnerPrincipal } from '../infra/auth/principal.js';
import { generateApiKey, generateWebhookSecret, hashApiKey } from './api-key.js';
import { Application, ApplicationPrice, DEFAULT_GRACE_DAYS, PartnerApiKey, WebhookSecret } from './application.entity.js';
import { Merchant } from './merchant.entity.js';
import { TtlCache } from './ttl-cache.js';
import type {
  ApiKeyResponse,
  ApplicationResponse,
  CreateApplicationDto,
  CreateMerchantDto,
  IssuedApiKeyResponse,
  MerchantResponse,
  RotateWebhookSecretResponse,
  UpdateApplicationDto,
  UpdateMerchantDto,
} from './tenancy.dto.js';
import { stripeAccountOf } from '../infra/stripe/accounts.js';

export const PLATFORM_MERCHANT_ID = 'platform';
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * How long hot-path reads of applications, merchants and API keys are reused. Changes reach other
 * instances at once through TENANCY_CHANNEL; this bounds staleness when a notification is lost
 * (the listening connection down, before it reconnects and clears the caches).
 */
const HOT_PATH_TTL_MS = 5_000;

/** The PostgreSQL NOTIFY channel of tenancy changes; the payload is a JSON TenancyChange. */
export const TENANCY_CHANNEL = 'tenancy_changed';

/** What changed, as far as the caches are concerned: the application, the merchant (any of its applications) or the API key (by hash). */
export type TenancyChange = { application: string } | { merchant: string } | { api_key: string };

interface CachedKey {
  id: string;
  applicationId: string;
  revoked: boolean;
  lastUsedAt: number | null;
}

/** Merchants, applications, their catalogs, webhook secrets and partner API keys. */
@Injectable()
export class TenancyService implements OnModuleInit, OnModuleDestroy {
  private readonly applications = new TtlCache<{ application: Application; merchant: Merchant } | null>(HOT_PATH_TTL_MS);
  private readonly apiKeys = new TtlCache<CachedKey | null>(HOT_PATH_TTL_MS);

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly notifications: DatabaseNotifications,
    private readonly gateway: StripeGateway,
  ) {}

  private unsubscribe?: () => void;

  async onModuleInit(): Promise<void> {
    this.unsubscribe = await this.notifications.subscribe(TENANCY_CHANNEL, {
      message: (payload) => this.forget(parseChange(payload)),
      // Changes made while the listener was away went unheard: everything cached is read again.
      resync: () => this.forget(undefined),
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Drops what a change makes stale in this instance's caches; everything when the change is unknown. */
  private forget(change: TenancyChange | undefined): void {
    if (change && 'application' in change) this.applications.delete(change.application);
    else if (change && 'api_key' in change) this.apiKeys.delete(change.api_key);
    else if (change && 'merchant' in change) this.applications.clear(); // cached per application, with its merchant
    else {
      this.applications.clear();
      this.apiKeys.clear();
    }
  }

  /**
   * Flushes `em` in a transaction that also announces the change to every instance (the NOTIFY
   * goes out at commit, never for a change that rolled back), then forgets it here at once
   * without waiting for this instance's own notification. `before` runs first in the transaction.
   */
  private async commitChange(em: EntityManager, change: TenancyChange, before?: () => Promise<unknown>): Promise<void> {
    await em.begin();
    try {
      await before?.();
      await em.flush();
      await this.notifications.notify(em, TENANCY_CHANNEL, JSON.stringify(change));
      await em.commit();
    } catch (error) {
      await em.rollback();
      throw error;
    }
    this.forget(change);
  }

  /** A fresh start gets the platform merchant and the default application, so that the product is usable at once. */
  async ensureDefaults(defaultApplicationId: string): Promise<void> {
    const em = this.em.fork();
    if (!(await em.findOne(Merchant, PLATFORM_MERCHANT_ID))) {
      em.create(Merchant, { id: PLATFORM_MERCHANT_ID, displayName: 'Platform', chargeModel: 'platform', stripeAccountId: null });
    }
    if (!(await em.findOne(Application, defaultApplicationId))) {
      const app = em.create(Application, {
        id: defaultApplicationId,
        name: 'Default application',
        merchant: em.getReference(Merchant, PLATFORM_MERCHANT_ID),
        allowedOrigins: [`http://localhost:${this.config.PORT}`, `http://127.0.0.1:${this.config.PORT}`],
      });
      em.create(WebhookSecret, { application: app, secret: generateWebhookSecret() });
    }
    await em.flush().catch((error) => {
      // Two instances starting together: the other one created them first.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    });
  }

  // ---- merchants ----

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
    await flushOrConflict(em, 'merchant_exists', 'A merchant with this id or connected account already exists.');
    return toMerchantResponse(merchant);
  }

  async listMerchants(): Promise<MerchantResponse[]> {
    const merchants = await this.em.fork().find(Merchant, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
    return merchants.map(toMerchantResponse);
  }

  async getMerchant(id: string): Promise<MerchantResponse> {
    return toMerchantResponse(await this.findMerchant(this.em.fork(), id));
  }

  async updateMerchant(id: string, dto: UpdateMerchantDto): Promise<MerchantResponse> {
    const em = this.em.fork();
    const merchant = await this.findMerchant(em, id);
    if (dto.application_fee_percent !== undefined && merchant.chargeModel === 'platform') {
      throw AppError.badRequest('application_fee_not_allowed', 'A platform merchant takes no application fee.');
    }
    em.assign(merchant, {
      ...(dto.display_name !== undefined ? { displayName: dto.display_name } : {}),
      ...(dto.application_fee_percent !== undefined ? { applicationFeePercent: dto.application_fee_percent } : {}),
      ...(dto.country !== undefined ? { country: dto.country } : {}),
      ...(dto.default_currency !== undefined ? { defaultCurrency: dto.default_currency } : {}),
    });
    await this.commitChange(em, { merchant: id });
    return toMerchantResponse(merchant);
  }

  private async findMerchant(em: EntityManager, id: string): Promise<Merchant> {
    const merchant = await em.findOne(Merchant, id);
    if (!merchant) throw AppError.notFound('merchant_not_found', `No merchant "${id}".`);
    return merchant;
  }

  // ---- applications ----

  async createApplication(dto: CreateApplicationDto): Promise<ApplicationResponse> {
    const em = this.em.fork();
    const merchant = await em.findOne(Merchant, dto.merchant_id);
    if (!merchant) throw AppError.badRequest('merchant_not_found', `No merchant "${dto.merchant_id}".`);
    if (await em.findOne(Application, dto.id)) throw AppError.conflict('application_exists', `An application "${dto.id}" already exists.`);
    await this.requireSellablePrices(em, merchant, unique(dto.price_ids ?? []));
    const application = em.create(Application, {
      id: dto.id,
      name: dto.name,
      merchant,
      allowedOrigins: unique(dto.allowed_origins ?? []),
      allowMultipleSubscriptionsPerProduct: dto.allow_multiple_subscriptions_per_product ?? false,
      pastDueGraceDays: dto.past_due_grace_days ?? DEFAULT_GRACE_DAYS,
      trialDays: dto.trial_days ?? 14,
      cancelInvoiceNow: dto.cancel_invoice_now ?? false,
      cancelProrate: dto.cancel_prorate ?? false,
    });
    for (const priceId of unique(dto.price_ids ?? [])) em.create(ApplicationPrice, { application, stripePriceId: priceId });
    const secret = dto.webhook_secret ?? generateWebhookSecret();
    em.create(WebhookSecret, { application, secret });
    // Announced too: an instance may have cached that there is no application with this id.
    await orConflict(this.commitChange(em, { application: dto.id }), 'application_exists', `An application "${dto.id}" already exists.`);
    const response = await this.describeApplication(em, application);
    return dto.webhook_secret ? response : { ...response, webhook_secret: secret };
  }

  async listApplications(): Promise<ApplicationResponse[]> {
    const em = this.em.fork();
    const applications = await em.find(Application, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
    return Promise.all(applications.map((a) => this.describeApplication(em, a)));
  }

  async describe(id: string): Promise<ApplicationResponse> {
    const em = this.em.fork();
    return this.describeApplication(em, await this.findApplication(em, id));
  }

  async updateApplication(id: string, dto: UpdateApplicationDto): Promise<ApplicationResponse> {
    const em = this.em.fork();
    const application = await this.findApplication(em, id);
    if (dto.price_ids !== undefined) {
      // Only the prices the catalog does not list yet are checked: one the merchant archived since it
      // was listed stays listable (checkout refuses to sell it), so an unrelated edit is not blocked by it.
      const listed = new Set(await this.catalogPriceIds(id));
      const merchant = await em.findOneOrFail(Merchant, application.merchant.id);
      await this.requireSellablePrices(em, merchant, unique(dto.price_ids).filter((priceId) => !listed.has(priceId)));
    }
    em.assign(application, {
      ...(dto.name !== undefined ? { name: dto.name } : {}),
      ...(dto.allowed_origins !== undefined ? { allowedOrigins: unique(dto.allowed_origins) } : {}),
      ...(dto.allow_multiple_subscriptions_per_product !== undefined ? { allowMultipleSubscriptionsPerProduct: dto.allow_multiple_subscriptions_per_product } : {}),
      pastDueGraceDays: dto.past_due_grace_days ?? DEFAULT_GRACE_DAYS,
      ...(dto.trial_days !== undefined ? { trialDays: dto.trial_days } : {}),
      ...(dto.cancel_invoice_now !== undefined ? { cancelInvoiceNow: dto.cancel_invoice_now } : {}),
      ...(dto.cancel_prorate !== undefined ? { cancelProrate: dto.cancel_prorate } : {}),
    });
    const priceIds = dto.price_ids;
    await this.commitChange(em, { application: id }, async () => {
      // Edits of one application wait for each other here, before any row is touched: two catalog
      // replacements side by side each deleted the old list and then both inserted theirs (a unique
      // violation, 500) or deadlocked.
      await exec(em, 'select id from applications where id = ? for update', [id]);
      if (priceIds === undefined) return;
      // The catalog is replaced as a whole (the list given is the list that may be bought), in the transaction of the rest.
      await em.nativeDelete(ApplicationPrice, { application: id });
      for (const priceId of unique(priceIds)) em.create(ApplicationPrice, { application, stripePriceId: priceId });
    });
    return this.describeApplication(em, application);
  }

  /** The application a request is for; 404 when there is none with that id. Read on every request, so cached briefly. */
  async getApplication(id: string): Promise<Application> {
    return (await this.getApplicationWithMerchant(id)).application;
  }

  /** The application and its merchant, in one cached read. */
  async getApplicationWithMerchant(id: string): Promise<{ application: Application; merchant: Merchant }> {
    // A name no application can have (from a token claim or a header) is not looked up.
    if (!ID_PATTERN.test(id)) throw AppError.notFound('application_not_found', `No application "${id.slice(0, 64)}".`);
    const found = await this.applications.get(id, async () => {
      const application = await this.em.fork().findOne(Application, id, { populate: ['merchant'] });
      return application ? { application, merchant: application.merchant.getEntity() } : null;
    });
    if (!found) throw AppError.notFound('application_not_found', `No application "${id}".`);
    return found;
  }

  async catalogPriceIds(applicationId: string): Promise<string[]> {
    const rows = await this.em.fork().find(ApplicationPrice, { application: applicationId }, { fields: ['stripePriceId'] });
    return rows.map((r) => r.stripePriceId);
  }

  /**
   * Refuses, before anything is written, a price id that a catalog of the merchant's applications
   * could not sell: 400 `price_not_found` when the merchant's Stripe account has no such price,
   * `price_inactive` when it is archived. The catalog mirror answers for the prices it holds (of
   * that Stripe account); Stripe, on the merchant's account, for the others (a price created a
   * moment ago whose price.created event is still on its way). Stripe unreachable: its usual 502/503.
   */
  private async requireSellablePrices(em: EntityManager, merchant: Merchant, priceIds: string[]): Promise<void> {
    if (priceIds.length === 0) return;
    const mirrored = await exec<{ id: string; active: boolean; deleted: boolean }>(
      em,
      'select id, active, deleted from prices where id = any(?::text[]) and stripe_account = ?',
      [priceIds, stripeAccountOf(merchant)],
    );
    const known = new Map(mirrored.map((row) => [row.id, row.active && !row.deleted]));
    for (const priceId of priceIds) {
      const active = known.get(priceId) ?? (await this.isActiveInStripe(merchant, priceId));
      if (!active) throw AppError.badRequest('price_inactive', `The price ${priceId} is archived in Stripe and cannot be sold.`, { price_id: priceId });
    }
  }

  private async isActiveInStripe(merchant: Merchant, priceId: string): Promise<boolean> {
    try {
      const price = await this.gateway.call('prices.retrieve', (s) => s.prices.retrieve(priceId, {}, this.gateway.options(merchant)));
      return price.active && !('deleted' in price && price.deleted);
    } catch (error) {
      if (error instanceof AppError && error.code === 'stripe_resource_missing') {
        throw AppError.badRequest('price_not_found', `Stripe has no price ${priceId} on the merchant's account.`, { price_id: priceId });
      }
      throw error;
    }
  }

  private async findApplication(em: EntityManager, id: string): Promise<Application> {
    const application = await em.findOne(Application, id);
    if (!application) throw AppError.notFound('application_not_found', `No application "${id}".`);
    return application;
  }

  private async describeApplication(em: EntityManager, application: Application): Promise<ApplicationResponse> {
    const [prices, secrets] = await Promise.all([
      em.find(ApplicationPrice, { application: application.id }, { orderBy: { createdAt: 'asc', stripePriceId: 'asc' } }),
      em.count(WebhookSecret, this.currentSecretsFilter(application.id)),
    ]);
    return {
      id: application.id,
      name: application.name,
      merchant_id: application.merchant.id,
      allowed_origins: application.allowedOrigins,
      price_ids: prices.map((p) => p.stripePriceId),
      allow_multiple_subscriptions_per_product: application.allowMultipleSubscriptionsPerProduct,
      past_due_grace_days: application.pastDueGraceDays,
      trial_days: application.trialDays,
      cancel_invoice_now: application.cancelInvoiceNow,
      cancel_prorate: application.cancelProrate,
      webhook_secrets_active: secrets,
      created_at: application.createdAt.toISOString(),
    };
  }

  // ---- webhook secrets ----

  /** Secrets that verify a webhook now: the newest, and rotated ones still inside their overlap. */
  async currentWebhookSecrets(applicationId: string): Promise<string[]> {
    const rows = await this.em.fork().find(WebhookSecret, this.currentSecretsFilter(applicationId), { orderBy: { createdAt: 'desc' } });
    return rows.map((r) => r.secret);
  }

  async rotateWebhookSecret(applicationId: string, options: { secret?: string; overlapHours?: number }): Promise<RotateWebhookSecretResponse> {
    const em = this.em.fork();
    await this.findApplication(em, applicationId);
    const overlapHours = options.overlapHours ?? this.config.WEBHOOK_SECRET_OVERLAP_HOURS;
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + overlapHours * 3600_000);
    const secret = options.secret ?? generateWebhookSecret();
    await em.transactional(async (tx) => {
      // Only shorten: a secret already due to expire sooner keeps its earlier end.
      await tx.nativeUpdate(WebhookSecret, { application: applicationId, $or: [{ expiresAt: null }, { expiresAt: { $gt: expiresAt } }] }, { expiresAt });
      tx.create(WebhookSecret, { application: tx.getReference(Application, applicationId), secret, createdAt: now });
      await tx.flush();
      // Secrets are read from the database on every webhook and not cached; announced all the same, as a change of the application.
      await this.notifications.notify(tx, TENANCY_CHANNEL, JSON.stringify({ application: applicationId } satisfies TenancyChange));
    });
    this.forget({ application: applicationId });
    return { secret, previous_expires_at: overlapHours === 0 ? now.toISOString() : expiresAt.toISOString() };
  }

  private currentSecretsFilter(applicationId: string): FilterQuery<WebhookSecret> {
    return { application: applicationId, $or: [{ expiresAt: null }, { expiresAt: { $gt: this.clock.now() } }] };
  }

  // ---- partner API keys ----

  async issueApiKey(applicationId: string, name: string): Promise<IssuedApiKeyResponse> {
    const em = this.em.fork();
    const application = await this.findApplication(em, applicationId);
    const { key, prefix, hash } = generateApiKey();
    const row = em.create(PartnerApiKey, { application, name, prefix, keyHash: hash });
    // Not announced: no instance can have cached anything of a key that was just generated.
    await em.flush();
    return { ...toApiKeyResponse(row), key };
  }

  async listApiKeys(applicationId: string): Promise<ApiKeyResponse[]> {
    const em = this.em.fork();
    await this.findApplication(em, applicationId);
    const rows = await em.find(PartnerApiKey, { application: applicationId }, { orderBy: { createdAt: 'asc' } });
    return rows.map(toApiKeyResponse);
  }

  async revokeApiKey(applicationId: string, keyId: string): Promise<ApiKeyResponse> {
    const em = this.em.fork();
    // Key ids are UUIDs: anything else names no key (and PostgreSQL would refuse to compare it).
    const row = UUID_PATTERN.test(keyId) ? await em.findOne(PartnerApiKey, { id: keyId, application: applicationId }) : null;
    if (!row) throw AppError.notFound('api_key_not_found', `No API key "${keyId}" for application "${applicationId}".`);
    row.revokedAt ??= this.clock.now();
    await this.commitChange(em, { api_key: row.keyHash });
    return toApiKeyResponse(row);
  }

  /** Checks a presented key: unknown → 401, revoked → 401. Read on every partner request, so cached briefly. */
  async verifyApiKey(key: string): Promise<PartnerPrincipal> {
    const hash = hashApiKey(key);
    const row = await this.apiKeys.get(hash, async () => {
      const found = await this.em.fork().findOne(PartnerApiKey, { keyHash: hash });
      return found ? { id: found.id, applicationId: found.application.id, revoked: found.revokedAt !== null && found.revokedAt !== undefined, lastUsedAt: found.lastUsedAt?.getTime() ?? null } : null;
    });
    if (!row) throw AppError.unauthorized('invalid_api_key', 'The API key is not valid.');
    if (row.revoked) throw AppError.unauthorized('api_key_revoked', 'The API key has been revoked.');
    const now = this.clock.now().getTime();
    // Recorded at most once a minute, so a busy partner does not turn every lookup into a write.
    if (row.lastUsedAt === null || now - row.lastUsedAt > 60_000) {
      row.lastUsedAt = now;
      await this.em.fork().nativeUpdate(PartnerApiKey, { id: row.id }, { lastUsedAt: new Date(now) });
    }
    return { keyId: row.id, applicationId: row.applicationId };
  }
}

/** A tenancy change as announced; undefined (forget everything) when it cannot be read. */
function parseChange(payload: string): TenancyChange | undefined {
  try {
    const change = JSON.parse(payload) as Record<string, unknown>;
    for (const key of ['application', 'merchant', 'api_key'] as const) {
      if (typeof change[key] === 'string') return { [key]: change[key] } as TenancyChange;
    }
  } catch {
    // fall through
  }
  return undefined;
}

async function flushOrConflict(em: EntityManager, code: string, message: string): Promise<void> {
  return orConflict(em.flush(), code, message);
}

async function orConflict(write: Promise<void>, code: string, message: string): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw AppError.conflict(code, message);
    throw error;
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

function toApiKeyResponse(k: PartnerApiKey): ApiKeyResponse {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    created_at: k.createdAt.toISOString(),
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
    revoked_at: k.revokedAt?.toISOString() ?? null,
  };
}

const unique = (values: string[]) => [...new Set(values)];

function slugify(name: string): string {
  const slug = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return slug || `merchant-${Date.now().toString(36)}`;
}
