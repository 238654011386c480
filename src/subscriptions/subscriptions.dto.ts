import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsInt, IsString, IsUrl, Length, Matches, Max, Min } from 'class-validator';
import { OptionalNotNull } from '../infra/errors/validation.js';

const PRICE_ID = /^price_\w{1,250}$/;
const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };
export const PRORATION_BEHAVIORS = ['create_prorations', 'always_invoice', 'none'] as const;
export type ProrationBehavior = (typeof PRORATION_BEHAVIORS)[number];

export class CreateCheckoutSessionDto {
  @ApiProperty({ example: 'price_1MowQULkdIwHu7ixraBm864M' })
  @IsString() @Matches(PRICE_ID, { message: '$property must be a Stripe price id (price_...)' })
  price_id!: string;

  @ApiProperty({ example: 'https://app.example.com/success' })
  @IsUrl(URL_OPTIONS, { message: '$property must be an http(s) URL' }) @Length(1, 2000)
  success_url!: string;

  @ApiProperty({ example: 'https://app.example.com/cancel' })
  @IsUrl(URL_OPTIONS, { message: '$property must be an http(s) URL' }) @Length(1, 2000)
  cancel_url!: string;

  @ApiPropertyOptional({ example: 1, default: 1, description: 'Seats (licensed prices)' })
  @OptionalNotNull() @IsInt() @Min(1) @Max(10_000)
  quantity?: number;

  @ApiPropertyOptional({ example: 'owner@acme.example', description: 'Email of the Stripe customer created on first purchase' })
  @OptionalNotNull() @IsEmail() @Length(1, 512)
  email?: string;

  @ApiPropertyOptional({ example: 'ACME K.K.', description: 'Name of the Stripe customer created on first purchase' })
  @OptionalNotNull() @IsString() @Length(1, 256)
  name?: string;

  @ApiPropertyOptional({ example: 'ja', description: "The customer's preferred locale for Stripe's pages and emails" })
  @OptionalNotNull() @IsString() @Matches(/^[a-z]{2}(-[A-Z]{2})?$/, { message: '$property must be a locale such as ja or en-US' })
  locale?: string;
}

export class CheckoutSessionResponse {
  @ApiProperty({ example: 'cs_test_a1b2c3' }) id!: string;
  @ApiProperty({ example: 'https://checkout.stripe.com/c/pay/cs_test_a1b2c3' }) url!: string;
}

export class CreatePortalSessionDto {
  @ApiProperty({ example: 'https://app.example.com/settings' })
  @IsUrl(URL_OPTIONS, { message: '$property must be an http(s) URL' }) @Length(1, 2000)
  return_url!: string;
}

export class PortalSessionResponse {
  @ApiProperty({ example: 'https://billing.stripe.com/p/session/test_YWNjdF8x' }) url!: string;
}

export class SyncCheckoutSessionDto {
  @ApiProperty({ example: 'cs_test_a1b2c3' })
  @IsString() @Matches(/^cs_\w{1,250}$/, { message: '$property must be a Checkout Session id (cs_...)' })
  session_id!: string;
}

export class SyncQuery {
  @ApiPropertyOptional({ example: false, default: false, description: 'Remove local subscriptions that Stripe no longer has' })
  @OptionalNotNull()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'allow_deletes must be true or false' })
  allow_deletes?: boolean;
}

class ChangeFields {
  @ApiPropertyOptional({ example: 'price_1MowQULkdIwHu7ixraBm864M', description: 'The new price (from the application catalog)' })
  @OptionalNotNull() @IsString() @Matches(PRICE_ID, { message: '$property must be a Stripe price id (price_...)' })
  price_id?: string;

  @ApiPropertyOptional({ enum: ['month', 'year'], example: 'year', description: "Switch to the price of the same product with this interval" })
  @OptionalNotNull() @IsIn(['month', 'year'])
  interval?: 'month' | 'year';

  @ApiPropertyOptional({ example: 5 })
  @OptionalNotNull() @IsInt() @Min(1) @Max(10_000)
  quantity?: number;

  @ApiPropertyOptional({ enum: PRORATION_BEHAVIORS, example: 'create_prorations', description: 'Default: DEFAULT_PRORATION_BEHAVIOR' })
  @OptionalNotNull() @IsIn(PRORATION_BEHAVIORS)
  proration_behavior?: ProrationBehavior;
}

/** Account-less route: the subscription is in the path. */
export class ChangeSubscriptionDto extends ChangeFields {}

/** Account-scoped route: the subscription is in the body. */
export class ChangeSubscriptionWithIdDto extends ChangeFields {
  @ApiProperty({ example: 'sub_1MowQVLkdIwHu7ixeRlqHVzs' })
  @IsString() @Matches(/^sub_\w{1,250}$/, { message: '$property must be a subscription id (sub_...)' })
  subscription_id!: string;
}

export const CANCEL_TIMINGS = ['period_end', 'immediately'] as const;
export type CancelTiming = (typeof CANCEL_TIMINGS)[number];

export class CancelSubscriptionDto {
  @ApiProperty({ enum: CANCEL_TIMINGS, example: 'period_end' })
  @IsIn(CANCEL_TIMINGS)
  timing!: CancelTiming;
}

export class CancelSubscriptionWithIdDto extends CancelSubscriptionDto {
  @ApiProperty({ example: 'sub_1MowQVLkdIwHu7ixeRlqHVzs' })
  @IsString() @Matches(/^sub_\w{1,250}$/, { message: '$property must be a subscription id (sub_...)' })
  subscription_id!: string;
}

export class StartTrialDto {
  @ApiProperty({ example: 'price_1MowQULkdIwHu7ixraBm864M' })
  @IsString() @Matches(PRICE_ID, { message: '$property must be a Stripe price id (price_...)' })
  price_id!: string;

  @ApiProperty({ example: 3, description: 'Seats during the trial (trial_quantity)' })
  @IsInt() @Min(1) @Max(10_000)
  quantity!: number;

  @ApiPropertyOptional({ example: 'owner@acme.example' }) @OptionalNotNull() @IsEmail() @Length(1, 512)
  email?: string;

  @ApiPropertyOptional({ example: 'ACME K.K.' }) @OptionalNotNull() @IsString() @Length(1, 256)
  name?: string;

  @ApiPropertyOptional({ example: 'ja' }) @OptionalNotNull() @IsString() @Matches(/^[a-z]{2}(-[A-Z]{2})?$/, { message: '$property must be a locale such as ja or en-US' })
  locale?: string;
}

export class SubscriptionItemView {
  @ApiProperty({ example: 'si_NcLYdDxLHxlFo7' }) id!: string;
  @ApiProperty({ example: 'price_1MowQULkdIwHu7ixraBm864M' }) price_id!: string;
  @ApiProperty({ example: 'prod_NWjs8kKbJWmuuc' }) product_id!: string;
  @ApiProperty({ example: 1, nullable: true, type: Number, description: 'None for metered prices' }) quantity!: number | null;
  @ApiProperty({ enum: ['licensed', 'metered'], example: 'licensed' }) usage_type!: string;
}

export class SubscriptionView {
  @ApiProperty({ example: 'sub_1MowQVLkdIwHu7ixeRlqHVzs' }) id!: string;
  @ApiProperty({ example: 'active', enum: ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'] }) status!: string;
  @ApiProperty({ example: 'default', nullable: true, type: String }) application_id!: string | null;
  @ApiProperty({ example: 'platform', nullable: true, type: String }) merchant_id!: string | null;
  @ApiProperty({ example: 'cus_NffrFeUfNV2Hib' }) customer_id!: string;
  @ApiProperty({ example: false }) cancel_at_period_end!: boolean;
  @ApiProperty({ example: null, nullable: true, type: String }) cancel_at!: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) canceled_at!: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) ended_at!: string | null;
  @ApiProperty({ example: '2026-11-01T00:00:00.000Z', nullable: true, type: String }) current_period_start!: string | null;
  @ApiProperty({ example: '2026-12-01T00:00:00.000Z', nullable: true, type: String }) current_period_end!: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) trial_end!: string | null;
  @ApiProperty({ example: 'in_1MowQWLkdIwHu7ixuzkSPfKd', nullable: true, type: String }) latest_invoice_id!: string | null;
  @ApiProperty({ example: 'paid', nullable: true, type: String }) latest_invoice_status!: string | null;
  @ApiProperty({ example: '2026-12-01T00:00:00.000Z', nullable: true, type: String, description: 'Until when this subscription grants its features' }) access_until!: string | null;
  @ApiProperty({ example: true, description: 'Whether it grants its features now' }) has_access!: boolean;
  @ApiProperty({ example: true, description: "freee's classification: a contract that an operation can bring back to active" }) contracted!: boolean;
  @ApiProperty({ type: SubscriptionItemView, isArray: true }) items!: SubscriptionItemView[];
  @ApiProperty({ example: '2026-11-01T00:00:00.000Z' }) created!: string;
}

export class SubscriptionListResponse {
  @ApiProperty({ type: SubscriptionView, isArray: true }) data!: SubscriptionView[];
}

export class SyncResponse {
  @ApiProperty({ example: 1 }) created!: number;
  @ApiProperty({ example: 0 }) updated!: number;
  @ApiProperty({ example: 0 }) deleted!: number;
  @ApiProperty({ example: 2 }) unchanged!: number;
  @ApiProperty({ example: 0, description: 'Local subscriptions Stripe no longer has, kept because allow_deletes is false' }) missing!: number;
  @ApiProperty({ type: SubscriptionView, isArray: true }) data!: SubscriptionView[];
}

export class IdentityView {
  @ApiProperty({ example: 'ACME' }) account_id!: string;
  @ApiProperty({ example: 'cus_NffrFeUfNV2Hib' }) stripe_customer_id!: string;
  @ApiProperty({ example: null, nullable: true, type: String, description: 'The connected account the customer lives on; null for the platform' }) stripe_account!: string | null;
  @ApiProperty({ example: 'owner@acme.example', nullable: true, type: String }) email!: string | null;
  @ApiProperty({ example: 'ACME K.K.', nullable: true, type: String }) name!: string | null;
}

export class MerchantView {
  @ApiProperty({ example: 'platform' }) id!: string;
  @ApiProperty({ example: 'Platform' }) display_name!: string;
  @ApiProperty({ example: 'JP' }) country!: string;
  @ApiProperty({ example: 'jpy' }) currency!: string;
  @ApiProperty({ enum: ['platform', 'direct', 'destination'], example: 'platform' }) charge_model!: string;
  @ApiProperty({ example: 'active' }) status!: string;
  @ApiProperty({ example: true, description: 'Whether the account already has a Stripe customer there' }) has_identity!: boolean;
}

export class MerchantListResponse {
  @ApiProperty({ type: MerchantView, isArray: true }) data!: MerchantView[];
}

export class TrialView {
  @ApiProperty({ example: 'default' }) application_id!: string;
  @ApiProperty({ example: 'price_1MowQULkdIwHu7ixraBm864M' }) price_id!: string;
  @ApiProperty({ example: 'prod_NWjs8kKbJWmuuc' }) product_id!: string;
  @ApiProperty({ example: 3 }) trial_quantity!: number;
  @ApiProperty({ example: '2026-11-20T00:00:00.000Z' }) trial_start!: string;
  @ApiProperty({ example: '2026-12-04T00:00:00.000Z' }) trial_end!: string;
  @ApiProperty({ example: 'cus_NffrFeUfNV2Hib' }) stripe_customer_id!: string;
  @ApiProperty({ example: true }) active!: boolean;
}

export class FeatureView {
  @ApiProperty({ example: 'basic_features' }) lookup_key!: string;
  @ApiProperty({ example: 'Basic features' }) name!: string;
  @ApiProperty({ example: 'sub_1MowQVLkdIwHu7ixeRlqHVzs', nullable: true, type: String }) subscription_id!: string | null;
  @ApiProperty({ example: false, description: 'Granted by a platform-managed trial' }) trial!: boolean;
  @ApiProperty({ example: '2026-12-01T00:00:00.000Z', nullable: true, type: String }) access_until!: string | null;
}

export class FeatureListResponse {
  @ApiProperty({ type: FeatureView, isArray: true, description: 'One entry per feature, by `lookup_key` in code-point order' }) data!: FeatureView[];
}

/** The error format, defined with the error documentation helper (src/infra/http/errors.api-docs.ts); re-exported for the controllers that name it. */
export { ErrorDetail, ErrorResponse } from '../infra/http/errors.api-docs.js';

// ---- the preview of a change (POST .../change/preview): what it would cost, nothing changed ----

export class ProrationLineView {
  @ApiProperty({ example: 'Unused time on 1 × Inbox Manager after 2026-12-05', description: "Stripe's description of the line" }) description!: string;
  @ApiProperty({ example: -1464, description: 'In the smallest unit of the currency (yen); negative for a credit of unused time' }) amount!: number;
  @ApiProperty({ example: 'price_1QyT0tLkdIwHu7ixfixed001', nullable: true, type: String }) price_id!: string | null;
  @ApiProperty({ example: 1, nullable: true, type: Number }) quantity!: number | null;
  @ApiProperty({ example: '2026-12-05T10:00:00.000Z', description: 'From the proration date (this change) or the date of an earlier change of the period' }) period_start!: string;
  @ApiProperty({ example: '2026-12-20T01:23:45.000Z', description: 'The end of the current period' }) period_end!: string;
}

export class PreviewInvoiceView {
  @ApiProperty({ enum: ['now', 'period_end'], example: 'period_end', description: 'now: created and charged when the change is made (always_invoice, or an interval change, which starts a new period); period_end: the renewal at the end of the current period, which carries the prorations' })
  billed!: 'now' | 'period_end';
  @ApiProperty({ example: 11928, description: 'What the customer pays (never negative: a larger credit stays with Stripe as the customer balance)' }) amount_due!: number;
  @ApiProperty({ example: 11928, description: 'Sum of the lines, before tax' }) subtotal!: number;
  @ApiProperty({ example: 11928, description: 'Subtotal plus exclusive tax; negative when credits exceed the charges' }) total!: number;
  @ApiProperty({ example: '2026-12-20T01:23:45.000Z', description: "The invoice's period as Stripe gives it" }) period_start!: string;
  @ApiProperty({ example: '2027-01-20T01:23:45.000Z' }) period_end!: string;
}

export class ChangePreviewView {
  @ApiProperty({ example: 'sub_1QyT0wLkdIwHu7ixa1b2c3d4' }) subscription_id!: string;
  @ApiProperty({ example: 'jpy' }) currency!: string;
  @ApiProperty({ example: 'price_1QyT0tLkdIwHu7ixfixed001', description: 'The price after the change' }) price_id!: string;
  @ApiProperty({ example: 3, description: 'The quantity after the change' }) quantity!: number;
  @ApiProperty({ enum: PRORATION_BEHAVIORS, example: 'create_prorations', description: "The one the change would use (the request's, else DEFAULT_PRORATION_BEHAVIOR)" }) proration_behavior!: ProrationBehavior;
  @ApiProperty({ example: '2026-12-05T10:00:00.000Z', nullable: true, type: String, description: 'The instant the prorations are computed for (Stripe prorates to the second); null with proration_behavior none' })
  proration_date!: string | null;
  @ApiProperty({ example: 0, description: 'Charged when the change is made: next_invoice.amount_due when it is billed now, else 0 (the prorations wait for the renewal)' }) amount_due_now!: number;
  @ApiProperty({ type: PreviewInvoiceView, nullable: true, description: 'The next invoice once the change is made; null when there will be none (the subscription ends at the period end)' })
  next_invoice!: PreviewInvoiceView | null;
  @ApiProperty({ type: ProrationLineView, isArray: true, description: "The proration lines of next_invoice, Stripe's computation: a credit for the unused time of the old price or quantity, a charge for the rest of the period on the new one (none with proration_behavior none; an interval change has the credit only, as it bills the new period whole); earlier changes of the period add theirs" })
  proration_lines!: ProrationLineView[];
}
