import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { Clock } from '../infra/clock/clock.js';
import type { AppConfig } from '../infra/config/config.js';
import { APP_CONFIG } from '../infra/config/config.module.js';
import { toStorableParsedJson } from '../infra/database/storable-text.js';
import { AppError } from '../infra/errors/app-error.js';
import { dataExceptionCode, retryOnceOnConnectionLoss } from '../infra/errors/database-errors.js';
import { Metrics } from '../infra/metrics/metrics.service.js';
import { INVALID_SIGNATURE_MESSAGE, verifyStripeSignature } from '../infra/stripe/webhook-signature.js';
import { ApplicationsService, isCurrentWebhookSecret } from '../tenancy/applications.service.js';
import type { CachedWebhookSecret } from '../tenancy/tenancy-cache.js';
import { MerchantsService } from '../tenancy/merchants.service.js';
import { EventApplier } from './event-applier.service.js';
import { InboxRepository, type InboxInsert } from './inbox.repository.js';
import { WebhookWorker } from './webhook-worker.service.js';
import { PLATFORM_ACCOUNT } from '../infra/stripe/accounts.js';

/** The fields of a Stripe event this service relies on; anything else is refused before it is stored. */
interface StripeEventEnvelope {
  id: string;
  object: 'event';
  type: string;
  created: number;
  account?: string;
  api_version?: string | null;
  livemode?: boolean;
  data: { object: Record<string, unknown> };
}

/**
 * Receives a Stripe webhook: checks the signature against the application's current secrets,
 * stores the event in the inbox (once per Stripe id) and returns. Applying it is the worker's job,
 * so the answer never waits for it and a slow handler never makes Stripe retry.
 */
@Injectable()
export class WebhookIntakeService {
  constructor(
    private readonly em: EntityManager,
    private readonly inbox: InboxRepository,
    private readonly worker: WebhookWorker,
    private readonly clock: Clock,
    private readonly applications: ApplicationsService,
    private readonly merchants: MerchantsService,
    private readonly metrics: Metrics,
    private readonly applier: EventApplier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * `rawBody` is what the signature covers; `body` is the same bytes as parsed by the JSON body
   * parser, so that the event is not parsed a second time here.
   */
  async receive(applicationId: string, rawBody: Buffer | undefined, body: unknown, signature: string | undefined): Promise<{ received: true; duplicate: boolean }> {
    // The application's current secrets, cached (an unknown application is a 404); see `verified` for why that is safe.
    const secrets = await this.applications.webhookSigningSecrets(applicationId);
    if (!rawBody || rawBody.length === 0) throw AppError.badRequest('invalid_payload', 'The body must be the Stripe event as JSON.');
    let signedBy = await this.verified(applicationId, secrets, rawBody, signature);

    // A correctly signed event is never refused for what its strings hold: Stripe would retry and then
    // give up, and the event would be lost. PostgreSQL cannot store NUL or unpaired surrogates, so
    // they are replaced (U+FFFD), the exact bytes kept beside the event and a note says so.
    const storable = toStorableParsedJson(rawBody, body);
    const event = asEvent(storable.value);
    const stripeAccount = event.account ?? PLATFORM_ACCOUNT;
    // Only an event the service applies needs a merchant: one of a type it has no handler for
    // (payment_intent.*, charge.*, …) is processed as a no-op wherever it comes from, so it is not flagged.
    const flag =
      stripeAccount !== PLATFORM_ACCOUNT && this.applier.handles(event.type) && !(await this.merchants.merchantIdOfStripeAccount(this.em.fork(), stripeAccount)) ? 'unknown_account' : null;
    let row: Omit<InboxInsert, 'receivedAt' | 'signedBy'> = {
      id: event.id,
      applicationId,
      stripeAccount,
      type: event.type,
      stripeCreated: event.created,
      apiVersion: event.api_version ?? null,
      livemode: event.livemode ?? false,
      // The signed text itself when it is storable as it is (the same JSON; not serialised again), else the repaired event.
      payload: storable.replaced > 0 ? JSON.stringify(event) : rawBody.toString('utf8'),
      flag,
      ...(storable.replaced > 0
        ? { rawBody, payloadNote: `${storable.replaced} string(s) held characters PostgreSQL cannot store (NUL or unpaired surrogates), replaced by U+FFFD; the signed bytes are kept in raw_body.` }
        : {}),
    };
    // The insert is idempotent (by event id): when the connection drops under it, it is sent once
    // more on a fresh connection, so that a database failover does not turn into a 503 for Stripe.
    const store = () => retryOnceOnConnectionLoss(() => this.inbox.insert(this.em, { ...row, receivedAt: this.clock.now(), signedBy: signedBy.secretId }));
    let outcome = await store().catch((error: unknown) => {
      // PostgreSQL refused a value of the event as sent: JSON allows numbers beyond its numeric range
      // (1e1000000), which JavaScript parsed to ±Infinity (written as null) or 0. A correctly signed
      // event is not refused for that either: it is stored as parsed, the signed bytes beside it.
      const code = dataExceptionCode(error);
      if (code === undefined || row.rawBody) throw error;
      row = { ...row, payload: JSON.stringify(event), rawBody, payloadNote: `PostgreSQL could not store the event as sent (SQLSTATE ${code}, a number beyond its range); stored as parsed, such numbers written as null or 0; the signed bytes are kept in raw_body.` };
      return store();
    });
    if (outcome === 'secret_ended') {
      // The cached secret that verified the event has ended (a rotation on another instance, heard
      // of late, or its overlap over): verified again against the secrets as they are now.
      signedBy = await this.verified(applicationId, await this.applications.webhookSigningSecrets(applicationId, { fresh: true }), rawBody, signature, true);
      outcome = await store();
      if (outcome === 'secret_ended') throw AppError.badRequest('invalid_signature', INVALID_SIGNATURE_MESSAGE);
    }
    const inserted = outcome === 'stored';
    this.metrics.webhookReceived(event.type, !inserted);
    if (inserted) this.worker.notify();
    return { received: true, duplicate: !inserted };
  }

  /**
   * The secret (its id) among the application's current ones that verifies the signature, or the
   * 400 that says why none does. Cached secrets may lag a rotation on another instance: when none
   * verifies, they are read again once (`fresh`) before the event is refused.
   */
  private async verified(
    applicationId: string,
    secrets: CachedWebhookSecret[],
    rawBody: Buffer,
    signature: string | undefined,
    fresh = false,
  ): Promise<{ secretId: string }> {
    const now = this.clock.now().getTime();
    const current = secrets.filter((s) => isCurrentWebhookSecret(s, now));
    const check = verifyStripeSignature(rawBody, signature, current.map((s) => s.secret), this.config.WEBHOOK_TOLERANCE_SECONDS);
    if (check.ok) return { secretId: current.find((s) => s.secret === check.secret)!.id };
    if (check.code === 'invalid_signature' && !fresh) {
      return this.verified(applicationId, await this.applications.webhookSigningSecrets(applicationId, { fresh: true }), rawBody, signature, true);
    }
    throw AppError.badRequest(check.code, check.message);
  }
}

/** The parsed body as a Stripe event envelope, or a 400 when it is not one. */
function asEvent(value: unknown): StripeEventEnvelope {
  const e = value as Partial<StripeEventEnvelope> | null;
  const valid =
    e !== null &&
    typeof e === 'object' &&
    e.object === 'event' &&
    typeof e.id === 'string' &&
    /^evt_\w{1,250}$/.test(e.id) &&
    typeof e.type === 'string' &&
    /^[a-z0-9_.]{1,128}$/.test(e.type) &&
    // Stripe's `created` is unix seconds: a safe integer, not 1e300.
    Number.isSafeInteger(e.created) &&
    e.created! >= 0 &&
    (e.livemode === undefined || typeof e.livemode === 'boolean') &&
    (e.api_version === undefined || e.api_version === null || (typeof e.api_version === 'string' && e.api_version.length <= 64)) &&
    (e.account === undefined || e.account === null || (typeof e.account === 'string' && /^acct_\w{1,60}$/.test(e.account))) &&
    typeof e.data === 'object' &&
    e.data !== null &&
    typeof e.data.object === 'object' &&
    e.data.object !== null;
  if (!valid) throw AppError.badRequest('invalid_event', 'The body is not a Stripe event (object, id, type, created as unix seconds, data.object; livemode and api_version when present).');
  return { ...e, account: e.account ?? undefined } as StripeEventEnvelope;
}
