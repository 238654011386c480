import { Migration } from '@mikro-orm/migrations';

export class Migration20261121000133_initial extends Migration {

  override name = 'Migration20261121000133_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table "active_entitlements" ("id" varchar(255) not null, "stripe_account" varchar(64) not null, "customer_id" varchar(255) not null, "feature_id" varchar(255) not null, "lookup_key" varchar(255) not null, "stripe_version" bigint not null default '0', primary key ("id"));`);
    this.addSql(`alter table "active_entitlements" add constraint "active_entitlements_customer_feature_unique" unique ("stripe_account", "customer_id", "feature_id");`);

    this.addSql(`create table "features" ("id" varchar(255) not null, "stripe_account" varchar(64) not null, "lookup_key" varchar(255) not null, "name" varchar(512) not null, "active" boolean not null default true, "metadata" jsonb not null default '{}', "updated_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "identities" ("id" uuid not null, "account_id" varchar(255) not null, "stripe_account" varchar(64) not null, "stripe_customer_id" varchar(255) not null, "email" varchar(512) null, "name" varchar(512) null, "deleted_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "identities" add constraint "identities_account_stripe_account_unique" unique ("account_id", "stripe_account");`);
    this.addSql(`alter table "identities" add constraint "identities_customer_unique" unique ("stripe_account", "stripe_customer_id");`);

    this.addSql(`create table "invoices" ("id" varchar(255) not null, "stripe_account" varchar(64) not null, "subscription_id" varchar(255) null, "customer_id" varchar(255) not null, "status" varchar(32) null, "billing_reason" varchar(64) null, "currency" varchar(3) not null, "amount_due" bigint not null, "amount_paid" bigint not null, "amount_remaining" bigint not null, "total" bigint not null, "hosted_invoice_url" text null, "period_start" timestamptz null, "period_end" timestamptz null, "attempt_count" int not null default 0, "next_payment_attempt" timestamptz null, "stripe_created" timestamptz not null, "stripe_version" bigint not null default '0', "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "invoices_subscription_index" on "invoices" ("subscription_id");`);

    this.addSql(`create table "merchants" ("id" varchar(64) not null, "display_name" varchar(200) not null, "stripe_account_id" varchar(64) null, "charge_model" text not null, "application_fee_percent" numeric(5,2) null, "country" varchar(2) not null default 'JP', "default_currency" varchar(3) not null default 'jpy', "status" text not null default 'active', "deauthorized_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "merchants" add constraint "merchants_stripe_account_id_unique" unique ("stripe_account_id");`);

    this.addSql(`create table "applications" ("id" varchar(64) not null, "name" varchar(200) not null, "merchant_id" varchar(64) not null, "allowed_origins" jsonb not null default '[]', "allow_multiple_subscriptions_per_product" boolean not null default false, "past_due_grace_days" int not null default 7, "trial_days" int not null default 14, "cancel_invoice_now" boolean not null default false, "cancel_prorate" boolean not null default false, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "application_prices" ("id" uuid not null, "application_id" varchar(64) not null, "stripe_price_id" varchar(255) not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "application_prices" add constraint "application_prices_application_price_unique" unique ("application_id", "stripe_price_id");`);

    this.addSql(`create table "partner_api_keys" ("id" uuid not null, "application_id" varchar(64) not null, "name" varchar(200) not null, "prefix" varchar(32) not null, "key_hash" varchar(64) not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "partner_api_keys_application_index" on "partner_api_keys" ("application_id");`);
    this.addSql(`alter table "partner_api_keys" add constraint "partner_api_keys_key_hash_unique" unique ("key_hash");`);

    this.addSql(`create table "prices" ("id" varchar(255) not null, "stripe_account" varchar(64) not null, "product_id" varchar(255) not null, "active" boolean not null, "currency" varchar(3) not null, "unit_amount" bigint null, "interval" varchar(8) null, "interval_count" int null, "usage_type" text null, "lookup_key" varchar(255) null, "nickname" varchar(255) null, "tax_behavior" varchar(16) null, "metadata" jsonb not null default '{}', "deleted" boolean not null default false, "stripe_version" bigint not null default '0', "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "prices_product_index" on "prices" ("product_id");`);
    this.addSql(`create index "prices_lookup_key_index" on "prices" ("stripe_account", "lookup_key");`);

    this.addSql(`create table "products" ("id" varchar(255) not null, "stripe_account" varchar(64) not null, "name" varchar(512) not null, "description" text null, "active" boolean not null, "metadata" jsonb not null default '{}', "deleted" boolean not null default false, "stripe_version" bigint not null default '0', "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "products_stripe_account_index" on "products" ("stripe_account");`);

    this.addSql(`create table "product_features" ("id" varchar(255) not null, "stripe_account" varchar(64) not null, "product_id" varchar(255) not null, "feature_id" varchar(255) not null, primary key ("id"));`);
    this.addSql(`create index "product_features_feature_index" on "product_features" ("feature_id");`);
    this.addSql(`alter table "product_features" add constraint "product_features_product_feature_unique" unique ("product_id", "feature_id");`);

    this.addSql(`create table "reconcile_runs" ("id" uuid not null, "scope" varchar(16) not null, "merchant_id" varchar(64) null, "account_id" varchar(255) null, "trigger" varchar(16) not null, "allow_deletes" boolean not null default false, "status" text not null default 'running', "started_at" timestamptz not null, "finished_at" timestamptz null, "created" int not null default 0, "updated" int not null default 0, "deleted" int not null default 0, "unchanged" int not null default 0, "flagged" int not null default 0, "stripe_calls" int not null default 0, "error" text null, primary key ("id"));`);
    this.addSql(`create index "reconcile_runs_started_at_index" on "reconcile_runs" ("started_at");`);

    this.addSql(`create table "subscriptions" ("id" varchar(255) not null, "stripe_account" varchar(64) not null, "merchant_id" varchar(64) null, "application_id" varchar(64) null, "account_id" varchar(255) null, "customer_id" varchar(255) not null, "status" text not null, "cancel_at_period_end" boolean not null default false, "cancel_at" timestamptz null, "canceled_at" timestamptz null, "ended_at" timestamptz null, "current_period_start" timestamptz null, "current_period_end" timestamptz null, "trial_start" timestamptz null, "trial_end" timestamptz null, "first_failed_payment_at" timestamptz null, "latest_invoice_id" varchar(255) null, "latest_invoice_status" varchar(32) null, "access_until" timestamptz null, "stripe_created" timestamptz not null, "stripe_version" bigint not null default '0', "missing_in_stripe_at" timestamptz null, "metadata" jsonb not null default '{}', "raw" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "subscriptions_account_application_index" on "subscriptions" ("account_id", "application_id");`);
    this.addSql(`create index "subscriptions_customer_index" on "subscriptions" ("stripe_account", "customer_id");`);
    this.addSql(`create index "subscriptions_merchant_index" on "subscriptions" ("merchant_id");`);

    this.addSql(`create table "subscription_items" ("id" varchar(255) not null, "subscription_id" varchar(255) not null, "price_id" varchar(255) not null, "product_id" varchar(255) not null, "quantity" int null, "usage_type" text not null, "current_period_start" timestamptz null, "current_period_end" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "subscription_items_subscription_index" on "subscription_items" ("subscription_id");`);
    this.addSql(`create index "subscription_items_price_index" on "subscription_items" ("price_id");`);

    this.addSql(`create table "trials" ("id" uuid not null, "account_id" varchar(255) not null, "application_id" varchar(64) not null, "stripe_account" varchar(64) not null, "stripe_customer_id" varchar(255) null, "price_id" varchar(255) not null, "product_id" varchar(255) not null, "quantity" int not null, "starts_at" timestamptz not null, "ends_at" timestamptz not null, "ended_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "trials_ends_at_index" on "trials" ("ends_at");`);
    this.addSql(`alter table "trials" add constraint "trials_account_application_unique" unique ("account_id", "application_id");`);

    this.addSql(`create table "webhook_events" ("id" varchar(255) not null, "application_id" varchar(64) not null, "stripe_account" varchar(64) not null, "type" varchar(128) not null, "stripe_created" bigint not null, "api_version" varchar(64) null, "livemode" boolean not null default false, "payload" jsonb not null, "state" text not null default 'received', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "last_error" text null, "flag" varchar(64) null, "received_at" timestamptz not null, "processed_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "webhook_events_due_index" on "webhook_events" ("state", "next_attempt_at");`);
    this.addSql(`create index "webhook_events_type_index" on "webhook_events" ("type", "received_at");`);

    this.addSql(`create table "webhook_secrets" ("id" uuid not null, "application_id" varchar(64) not null, "secret" varchar(255) not null, "created_at" timestamptz not null, "expires_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "webhook_secrets_application_index" on "webhook_secrets" ("application_id");`);

    this.addSql(`alter table "merchants" add constraint "merchants_charge_model_check" check ("charge_model" in ('platform', 'direct', 'destination'));`);
    this.addSql(`alter table "merchants" add constraint "merchants_status_check" check ("status" in ('active', 'deauthorized'));`);

    this.addSql(`alter table "applications" add constraint "applications_merchant_id_foreign" foreign key ("merchant_id") references "merchants" ("id");`);

    this.addSql(`alter table "application_prices" add constraint "application_prices_application_id_foreign" foreign key ("application_id") references "applications" ("id") on delete cascade;`);

    this.addSql(`alter table "partner_api_keys" add constraint "partner_api_keys_application_id_foreign" foreign key ("application_id") references "applications" ("id") on delete cascade;`);

    this.addSql(`alter table "prices" add constraint "prices_usage_type_check" check ("usage_type" in ('licensed', 'metered'));`);

    this.addSql(`alter table "reconcile_runs" add constraint "reconcile_runs_status_check" check ("status" in ('running', 'succeeded', 'failed', 'skipped'));`);

    this.addSql(`alter table "subscriptions" add constraint "subscriptions_status_check" check ("status" in ('incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'));`);

    this.addSql(`alter table "subscription_items" add constraint "subscription_items_usage_type_check" check ("usage_type" in ('licensed', 'metered'));`);

    this.addSql(`alter table "webhook_events" add constraint "webhook_events_state_check" check ("state" in ('received', 'processing', 'processed', 'failed', 'dead'));`);

    this.addSql(`alter table "webhook_secrets" add constraint "webhook_secrets_application_id_foreign" foreign key ("application_id") references "applications" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "applications" drop constraint "applications_merchant_id_foreign";`);
    this.addSql(`alter table "application_prices" drop constraint "application_prices_application_id_foreign";`);
    this.addSql(`alter table "partner_api_keys" drop constraint "partner_api_keys_application_id_foreign";`);
    this.addSql(`alter table "webhook_secrets" drop constraint "webhook_secrets_application_id_foreign";`);

    this.addSql(`drop table if exists "active_entitlements" cascade;`);
    this.addSql(`drop table if exists "features" cascade;`);
    this.addSql(`drop table if exists "identities" cascade;`);
    this.addSql(`drop table if exists "invoices" cascade;`);
    this.addSql(`drop table if exists "merchants" cascade;`);
    this.addSql(`drop table if exists "applications" cascade;`);
    this.addSql(`drop table if exists "application_prices" cascade;`);
    this.addSql(`drop table if exists "partner_api_keys" cascade;`);
    this.addSql(`drop table if exists "prices" cascade;`);
    this.addSql(`drop table if exists "products" cascade;`);
    this.addSql(`drop table if exists "product_features" cascade;`);
    this.addSql(`drop table if exists "reconcile_runs" cascade;`);
    this.addSql(`drop table if exists "subscriptions" cascade;`);
    this.addSql(`drop table if exists "subscription_items" cascade;`);
    this.addSql(`drop table if exists "trials" cascade;`);
    this.addSql(`drop table if exists "webhook_events" cascade;`);
    this.addSql(`drop table if exists "webhook_secrets" cascade;`);
  }

}
