import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { AppConfig } from '../infra/config/config.js';
import { APP_CONFIG } from '../infra/config/config.module.js';
import { Clock } from '../infra/clock/clock.js';
import { exec } from '../infra/database/sql.js';
import { AppError } from '../infra/errors/app-error.js';
import { ID_PATTERN } from '../infra/ids.js';
import { stripeAccountOf } from '../infra/stripe/accounts.js';
import { StripeGateway } from '../infra/stripe/stripe.gateway.js';
import { generateWebhookSecret } from './api-key.js';
import { Application, ApplicationPrice, DEFAULT_GRACE_DAYS, WebhookSecret } from './application.entity.js';
import { orConflict } from './conflicts.js';
import { Merchant } from './merchant.entity.js';
import { TenancyCache, type CachedApplication, type CachedWebhookSecret } from './tenancy-cache.js';
import type { ApplicationResponse, CreateApplicationDto, RotateWebhookSecretResponse, UpdateApplicationDto } from './tenancy.dto.js';

export const PLATFORM_MERCHANT_ID = 'platform';

/**
 * The rule of a current webhook secret, as SQL on a `webhook_secrets` row at the time `at` (SQL):
 * the newest never ends until it is rotated, a rotated one ends after its overlap.
 */
export const currentWebhookSecretAt = (at: string) => `(expires_at is null or expires_at > ${at})`;
/** The same, the time given as the statement's parameter. */
export const CURRENT_WEBHOOK_SECRET = currentWebhookSecretAt('?');

/** The same rule on a secret read before (`now` in epoch milliseconds, by the service's clock). */
export function isCurrentWebhookSecret(secret: Pick<CachedWebhookSecret, 'expiresAt'>, now: number): boolean {
  return secret.expiresAt === null || secret.expiresAt > now;
}

/** The application; 404 `application_not_found` when there is none with that id. */
export async function requireApplication(em: EntityManager, id: string): Promise<Application> {
  const application = await em.findOne(Application, id);
  if (!application) throw AppError.notFound('application_not_found', `No application "${id}".`);
  return application;
}

/**
 * Applications: what is sold through a merchant, its catalog (the prices that may be bought) and
 * the secrets its Stripe webhooks are signed with. The application with its merchant is read on
 * every request, so it comes from the tenancy cache.
 */
@Injectable()
export class ApplicationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: TenancyCache,
    private readonly gateway: StripeGateway,
  ) {}

  /**
   * A fresh start gets the platform merchant and the default application, so that the product is
   * usable at once. `localOrigins` are the service's own addresses (outside production: its billing
   * page, `/billing`, started from there sends Stripe back there): they are added to the default
   * application's allowed origins when missing, on later starts too, since a restart on another
   * port (DATA_DIR keeps the application) would otherwise refuse the page's success and cancel URLs.
   */
  async ensureDefaults(defaultApplicationId: string, options: { localOrigins?: string[] } = {}): Promise<void> {
    const em = this.em.fork();
    if (!(await em.findOne(Merchant, PLATFORM_MERCHANT_ID))) {
      em.create(Merchant, { id: PLATFORM_MERCHANT_ID, displayName: 'Platform', chargeModel: 'platform', stripeAccountId: null });
    }
    const existing = await em.findOne(Application, defaultApplicationId);
    if (!existing) {
      const app = em.create(Application, {
        id: defaultApplicationId,
        name: 'Default application',
        merchant: em.getReference(Merchant, PLATFORM_MERCHANT_ID),
        allowedOrigins: unique(options.localOrigins ?? [`http://localhost:${this.config.PORT}`, `http://127.0.0.1:${this.config.PORT}`]),
      });
      em.create(WebhookSecret, { application: app, secret: generateWebhookSecret() });
    }
    const missing = existing ? (options.localOrigins ?? []).filter((origin) => !existing.allowedOrigins.includes(origin)) : [];
    if (existing && missing.length > 0) {
      existing.allowedOrigins = unique([...existing.allowedOrigins, ...missing]);
      // Announced like any edit of an application: other instances cache its origins (redirects, CORS).
      await this.cache.commit(em, { application: defaultApplicationId });
      return;
    }
    await em.flush().catch((error) => {
      // Two instances starting together: the other one created them first.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    });
  }

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
    await orConflict(this.cache.commit(em, { application: dto.id }), 'application_exists', `An application "${dto.id}" already exists.`);
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
    return this.describeApplication(em, await requireApplication(em, id));
  }

  async updateApplication(id: string, dto: UpdateApplicationDto): Promise<ApplicationResponse> {
    const em = this.em.fork();
    const application = await requireApplication(em, id);
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
      ...(dto.past_due_grace_days !== undefined ? { pastDueGraceDays: dto.past_due_grace_days } : {}),
      ...(dto.trial_days !== undefined ? { trialDays: dto.trial_days } : {}),
      ...(dto.cancel_invoice_now !== undefined ? { cancelInvoiceNow: dto.cancel_invoice_now } : {}),
      ...(dto.cancel_prorate !== undefined ? { cancelProrate: dto.cancel_prorate } : {}),
    });
    const priceIds = dto.price_ids;
    await this.cache.commit(em, { application: id }, async () => {
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
  async getApplicationWithMerchant(id: string): Promise<CachedApplication> {
    // A name no application can have (from a token claim or a header) is not looked up.
    if (!ID_PATTERN.test(id)) throw AppError.notFound('application_not_found', `No application "${id.slice(0, 64)}".`);
    const found = await this.cache.applications.get(id, async () => {
      const application = await this.em.fork().findOne(Application, id, { populate: ['merchant'] });
      return application ? { application, merchant: application.merchant.getEntity() } : null;
    });
    if (!found) throw AppError.notFound('application_not_found', `No application "${id}".`);
    return found;
  }

  /**
   * Every origin some application allows (the union of their allowed origins): the origins a
   * browser may send a CORS preflight from. Which application a request is for is known only once
   * its token is read, so the account guard checks the origin against that application's own list.
   */
  browserOrigins(): Promise<ReadonlySet<string>> {
    return this.cache.browserOrigins.get('all', async () => {
      const rows = await this.em.fork().find(Application, {}, { fields: ['allowedOrigins'] });
      return new Set(rows.flatMap((a) => a.allowedOrigins));
    });
  }

  /** The merchant an application sells through, or null when there is no such application; read in `em` (a worker's transaction). */
  async merchantIdOf(em: EntityManager, applicationId: string): Promise<string | null> {
    const rows = await exec<{ merchant_id: string }>(em, 'select merchant_id from applications where id = ?', [applicationId]);
    return rows[0]?.merchant_id ?? null;
  }

  /** Every application's merchant, by application id. */
  async merchantsByApplication(): Promise<Map<string, string>> {
    const rows = await exec<{ id: string; merchant_id: string }>(this.em.fork(), 'select id, merchant_id from applications');
    return new Map(rows.map((a) => [a.id, a.merchant_id]));
  }

  /** The prices the application's catalog lists: the only ones that may be bought through it. */
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
    // The catalog mirror's table, read directly: the entitlements module depends on tenancy, not the other way round.
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

  private async describeApplication(em: EntityManager, application: Application): Promise<ApplicationResponse> {
    const [prices, secrets] = await Promise.all([
      em.find(ApplicationPrice, { application: application.id }, { orderBy: { createdAt: 'asc', stripePriceId: 'asc' } }),
      this.currentWebhookSecrets(application.id),
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
      webhook_secrets_active: secrets.length,
      created_at: application.createdAt.toISOString(),
    };
  }

  // ---- webhook secrets ----

  /** Secrets that verify a webhook now: the newest, and rotated ones still inside their overlap; none for an unknown application. */
  async currentWebhookSecrets(applicationId: string): Promise<string[]> {
    const now = this.clock.now().getTime();
    return ((await this.readWebhookSecrets(applicationId)) ?? []).filter((s) => isCurrentWebhookSecret(s, now)).map((s) => s.secret);
  }

  /**
   * The webhook intake's secrets of an application, newest first, with when each ends (the caller
   * keeps those current by its clock, `isCurrentWebhookSecret`); a 404 `application_not_found` when
   * there is no such application. From the tenancy cache, so that a webhook costs no read of them,
   * unless `fresh`. The cache may lag a rotation made on another instance by a moment: the intake
   * therefore re-reads them when none verifies (a new secret), and stores an event only while the
   * secret that verified it is current in the database (`CURRENT_WEBHOOK_SECRET`, in the same
   * statement), so that an ended secret stops verifying on every instance at once.
   */
  async webhookSigningSecrets(applicationId: string, options: { fresh?: boolean } = {}): Promise<CachedWebhookSecret[]> {
    if (!ID_PATTERN.test(applicationId)) throw AppError.notFound('application_not_found', `No application "${applicationId.slice(0, 64)}".`);
    if (options.fresh) this.cache.webhookSecrets.delete(applicationId);
    const secrets = await this.cache.webhookSecrets.get(applicationId, () => this.readWebhookSecrets(applicationId));
    if (secrets) return secrets;
    // An application created on another instance a moment ago may be cached as absent here: absence is always read again.
    if (!options.fresh) return this.webhookSigningSecrets(applicationId, { fresh: true });
    throw AppError.notFound('application_not_found', `No application "${applicationId.slice(0, 64)}".`);
  }

  /** The current secrets with their ends, newest first, or null when there is no such application: one query. */
  private async readWebhookSecrets(applicationId: string): Promise<CachedWebhookSecret[] | null> {
    if (!ID_PATTERN.test(applicationId)) return null;
    const rows = await exec<{ id: string | null; secret: string | null; expires_at: Date | string | null }>(
      this.em.fork(),
      `select s.id, s.secret, s.expires_at from applications a
       left join webhook_secrets s on s.application_id = a.id and ${CURRENT_WEBHOOK_SECRET}
       where a.id = ? order by s.created_at desc`,
      [this.clock.now(), applicationId],
    );
    if (rows.length === 0) return null;
    return rows
      .filter((r) => r.id !== null && r.secret !== null)
      .map((r) => ({ id: r.id!, secret: r.secret!, expiresAt: r.expires_at === null ? null : new Date(r.expires_at).getTime() }));
  }

  async rotateWebhookSecret(applicationId: string, options: { secret?: string; overlapHours?: number }): Promise<RotateWebhookSecretResponse> {
    const overlapHours = options.overlapHours ?? this.config.WEBHOOK_SECRET_OVERLAP_HOURS;
    const secret = options.secret ?? generateWebhookSecret();
    const previousExpiresAt = await this.replaceWebhookSecrets(applicationId, [secret], overlapHours);
    return { secret, previous_expires_at: previousExpiresAt };
  }

  /**
   * Makes these secrets the application's current ones, all valid at once (e.g. the signing
   * secrets of a platform endpoint and of a Connect endpoint, which Stripe generates apart), the
   * others ending after the overlap. Returns when the others end.
   */
  async replaceWebhookSecrets(applicationId: string, secrets: string[], overlapHours = this.config.WEBHOOK_SECRET_OVERLAP_HOURS): Promise<string> {
    const em = this.em.fork();
    const application = await requireApplication(em, applicationId);
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + overlapHours * 3600_000);
    // Announced as a change of the application: every instance reads its secrets afresh.
    await this.cache.commit(em, { application: applicationId }, async () => {
      // Only shorten: a secret already due to expire sooner keeps its earlier end.
      await em.nativeUpdate(WebhookSecret, { application: applicationId, $or: [{ expiresAt: null }, { expiresAt: { $gt: expiresAt } }] }, { expiresAt });
      // Created after the update (and inserted by the commit's flush), so that the update cannot expire it.
      for (const secret of secrets) em.create(WebhookSecret, { application, secret, createdAt: now });
    });
    return overlapHours === 0 ? now.toISOString() : expiresAt.toISOString();
  }
}

const unique = (values: string[]) => [...new Set(values)];
