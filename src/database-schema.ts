import { MIGRATIONS } from '../migrations/index.js';
import type { DatabaseSchema } from './infra/database/orm-options.js';
import { AuditRecordSchema } from './audit/audit-record.entity.js';
import { ActiveEntitlementSchema, EntitlementSummarySchema, FeatureSchema, PriceSchema, ProductFeatureSchema, ProductSchema } from './entitlements/catalog.entity.js';
import { IdentitySchema } from './identity/identity.entity.js';
import { ScheduledRunSchema } from './infra/scheduling/scheduled-run.entity.js';
import { ReconcileRunSchema } from './reconciler/reconcile-run.entity.js';
import { InvoiceSchema, SubscriptionItemSchema, SubscriptionSchema, TrialSchema } from './subscriptions/subscription.entity.js';
import { ApplicationPriceSchema, ApplicationSchema, PartnerApiKeySchema, WebhookSecretSchema } from './tenancy/application.entity.js';
import { MerchantSchema } from './tenancy/merchant.entity.js';
import { WebhookEventSchema } from './webhooks/webhook-event.entity.js';
import { RequestLimitSchema } from './infra/throttling/request-limit.entity.js';

/**
 * Every entity of the service: one list for the ORM, the migrations and the schema check. Listed
 * here, at the top of the application, so that the database infrastructure below needs no module.
 */
export const ENTITIES = [
  MerchantSchema,
  ApplicationSchema,
  ApplicationPriceSchema,
  WebhookSecretSchema,
  PartnerApiKeySchema,
  IdentitySchema,
  SubscriptionSchema,
  SubscriptionItemSchema,
  InvoiceSchema,
  TrialSchema,
  ProductSchema,
  PriceSchema,
  FeatureSchema,
  ProductFeatureSchema,
  ActiveEntitlementSchema,
  EntitlementSummarySchema,
  WebhookEventSchema,
  ReconcileRunSchema,
  ScheduledRunSchema,
  RequestLimitSchema,
  AuditRecordSchema,
];

/** What `ormOptions` needs of the application: its entities and its migrations. */
export const DATABASE_SCHEMA: DatabaseSchema = { entities: ENTITIES, migrations: MIGRATIONS };
