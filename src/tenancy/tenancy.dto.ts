import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';

import { ID_PATTERN } from '../infra/ids.js';
import { OptionalNotNull } from '../infra/errors/validation.js';
import { CHARGE_MODELS, type ChargeModel } from '../infra/stripe/accounts.js';
const ID_MESSAGE = '$property must be lower-case letters, digits, - or _ (1 to 63, starting with a letter or digit)';
const ORIGIN_PATTERN = /^https?:\/\/[^/?#\s]+$/;

/** What can be set on a merchant at creation and changed later. */
class MerchantSettingsDto {
  @ApiPropertyOptional({ example: 10, description: 'Platform fee in percent (0 to 100), for direct and destination charges' })
  @IsOptional() @IsNumber({ maxDecimalPlaces: 2 }) @Min(0) @Max(100)
  application_fee_percent?: number;

  @ApiPropertyOptional({ example: 'JP' })
  @OptionalNotNull() @IsString() @Matches(/^[A-Z]{2}$/, { message: '$property must be an ISO 3166 two-letter country code' })
  country?: string;

  @ApiPropertyOptional({ example: 'jpy' })
  @OptionalNotNull() @IsString() @Matches(/^[a-z]{3}$/, { message: '$property must be a lower-case ISO 4217 currency code' })
  default_currency?: string;
}

export class CreateMerchantDto extends MerchantSettingsDto {
  @ApiPropertyOptional({ example: 'acme-jp', description: 'Our id of the merchant; generated from display_name when omitted' })
  @OptionalNotNull() @IsString() @Matches(ID_PATTERN, { message: ID_MESSAGE })
  id?: string;

  @ApiProperty({ example: 'ACME K.K.' })
  @IsString() @Length(1, 200)
  display_name!: string;

  @ApiProperty({ enum: CHARGE_MODELS, example: 'direct', description: 'platform: sells on the platform account; direct: on the connected account; destination: on the platform with a transfer to the connected account' })
  @IsIn(CHARGE_MODELS)
  charge_model!: ChargeModel;

  @ApiPropertyOptional({ example: 'acct_1Nv0FGQ9RKHgCVdK', description: 'Connected account id; required for direct and destination, refused for platform' })
  @OptionalNotNull() @IsString() @Matches(/^acct_[A-Za-z0-9]{4,60}$/, { message: '$property must be a connected account id (acct_...)' })
  stripe_account_id?: string;
}

export class UpdateMerchantDto extends MerchantSettingsDto {
  @ApiPropertyOptional({ example: 'ACME K.K.' })
  @OptionalNotNull() @IsString() @Length(1, 200)
  display_name?: string;
}

export class MerchantResponse {
  @ApiProperty({ example: 'acme-jp' }) id!: string;
  @ApiProperty({ example: 'ACME K.K.' }) display_name!: string;
  @ApiProperty({ enum: CHARGE_MODELS, example: 'direct' }) charge_model!: ChargeModel;
  @ApiProperty({ example: 'acct_1Nv0FGQ9RKHgCVdK', nullable: true, type: String }) stripe_account_id!: string | null;
  @ApiProperty({ example: 10, nullable: true, type: Number }) application_fee_percent!: number | null;
  @ApiProperty({ example: 'JP' }) country!: string;
  @ApiProperty({ example: 'jpy' }) default_currency!: string;
  @ApiProperty({ enum: ['active', 'deauthorized'], example: 'active' }) status!: string;
  @ApiProperty({ example: '2026-11-20T00:00:00.000Z' }) created_at!: string;
}

class ApplicationSettingsDto {
  @ApiPropertyOptional({ example: ['https://app.example.com'], description: 'Origins that success, cancel and return URLs may point at' })
  @OptionalNotNull() @IsArray() @ArrayMaxSize(50) @Matches(ORIGIN_PATTERN, { each: true, message: 'each value in $property must be an origin such as https://app.example.com' })
  allowed_origins?: string[];

  @ApiPropertyOptional({ example: ['price_1MowQULkdIwHu7ixraBm864M'], description: 'The catalog: Stripe prices that may be bought through this application' })
  @OptionalNotNull() @IsArray() @ArrayMaxSize(500) @Matches(/^price_\w{1,250}$/, { each: true, message: 'each value in $property must be a Stripe price id (price_...)' })
  price_ids?: string[];

  @ApiPropertyOptional({ example: false }) @OptionalNotNull() @IsBoolean()
  allow_multiple_subscriptions_per_product?: boolean;

  @ApiPropertyOptional({ example: 7, description: 'Days a past_due subscription keeps access after the first failed payment' })
  @OptionalNotNull() @IsInt() @Min(0) @Max(90)
  past_due_grace_days?: number;

  @ApiPropertyOptional({ example: 14, description: 'Length of a platform-managed trial in days' })
  @OptionalNotNull() @IsInt() @Min(1) @Max(365)
  trial_days?: number;

  @ApiPropertyOptional({ example: false, description: 'Immediate cancellation: invoice pending usage now' }) @OptionalNotNull() @IsBoolean()
  cancel_invoice_now?: boolean;

  @ApiPropertyOptional({ example: false, description: 'Immediate cancellation: prorate the unused time' }) @OptionalNotNull() @IsBoolean()
  cancel_prorate?: boolean;
}

export class CreateApplicationDto extends ApplicationSettingsDto {
  @ApiProperty({ example: 'inbox-manager' })
  @IsString() @Matches(ID_PATTERN, { message: ID_MESSAGE })
  id!: string;

  @ApiProperty({ example: 'Inbox Manager' })
  @IsString() @Length(1, 200)
  name!: string;

  @ApiProperty({ example: 'platform' })
  @IsString() @Matches(ID_PATTERN, { message: ID_MESSAGE })
  merchant_id!: string;

  @ApiPropertyOptional({ example: 'whsec_9vQ2mK7xT4bL1nR8pS0wY3zC6dF5gH2j', description: "The signing secret of the application's Stripe webhook endpoint; generated when omitted (and returned once)" })
  @OptionalNotNull() @IsString() @Matches(/^whsec_\S{8,200}$/, { message: '$property must be a Stripe signing secret (whsec_...)' })
  webhook_secret?: string;
}

export class UpdateApplicationDto extends ApplicationSettingsDto {
  @ApiPropertyOptional({ example: 'Inbox Manager' })
  @OptionalNotNull() @IsString() @Length(1, 200)
  name?: string;
}

export class ApplicationResponse {
  @ApiProperty({ example: 'inbox-manager' }) id!: string;
  @ApiProperty({ example: 'Inbox Manager' }) name!: string;
  @ApiProperty({ example: 'platform' }) merchant_id!: string;
  @ApiProperty({ example: ['https://app.example.com'] }) allowed_origins!: string[];
  @ApiProperty({ example: ['price_1MowQULkdIwHu7ixraBm864M'] }) price_ids!: string[];
  @ApiProperty({ example: false }) allow_multiple_subscriptions_per_product!: boolean;
  @ApiProperty({ example: 7 }) past_due_grace_days!: number;
  @ApiProperty({ example: 14 }) trial_days!: number;
  @ApiProperty({ example: false }) cancel_invoice_now!: boolean;
  @ApiProperty({ example: false }) cancel_prorate!: boolean;
  @ApiProperty({ example: 1, description: 'Webhook signing secrets currently accepted' }) webhook_secrets_active!: number;
  @ApiProperty({ example: '2026-11-20T00:00:00.000Z' }) created_at!: string;
  @ApiPropertyOptional({ example: 'whsec_9vQ2mK7xT4bL1nR8pS0wY3zC6dF5gH2j', description: 'Only when the service generated the secret: shown this once' }) webhook_secret?: string;
}

export class RotateWebhookSecretDto {
  @ApiPropertyOptional({ example: 'whsec_4kP8sN2vB6xM9qT1wR5yL3hJ7dG0fC8a', description: 'The new secret from Stripe (after rolling the endpoint secret); generated when omitted' })
  @OptionalNotNull() @IsString() @Matches(/^whsec_\S{8,200}$/, { message: '$property must be a Stripe signing secret (whsec_...)' })
  secret?: string;

  @ApiPropertyOptional({ example: 24, description: 'Hours the previous secrets stay valid (default WEBHOOK_SECRET_OVERLAP_HOURS)' })
  @OptionalNotNull() @IsInt() @Min(0) @Max(720)
  overlap_hours?: number;
}

export class RotateWebhookSecretResponse {
  @ApiProperty({ example: 'whsec_4kP8sN2vB6xM9qT1wR5yL3hJ7dG0fC8a', description: 'The new secret: shown once' }) secret!: string;
  @ApiProperty({ example: '2026-11-21T00:00:00.000Z', nullable: true, type: String, description: 'Until when the previous secrets are still accepted' }) previous_expires_at!: string | null;
}

export class IssueApiKeyDto {
  @ApiProperty({ example: 'freee production' })
  @IsString() @Length(1, 200)
  name!: string;
}

export class ApiKeyResponse {
  @ApiProperty({ example: '2f1c7d4e-8a0b-4c39-9d0e-5b7f3f1e2a61' }) id!: string;
  @ApiProperty({ example: 'freee production' }) name!: string;
  @ApiProperty({ example: 'psk_Xk2v9aQ1', description: 'The first characters of the key, to tell keys apart' }) prefix!: string;
  @ApiProperty({ example: '2026-11-20T00:00:00.000Z' }) created_at!: string;
  @ApiProperty({ example: null, nullable: true, type: String }) last_used_at!: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) revoked_at!: string | null;
}

export class IssuedApiKeyResponse extends ApiKeyResponse {
  @ApiProperty({ example: 'psk_Xk2v9aQ1Lm3Np5Rt7Vx9Zb2Dc4Fe6Gh8Jk0Mn2Pq4S', description: 'The key itself: shown this once, stored only as a hash' }) key!: string;
}

/** What the list routes answer: `{ "data": [...] }`, never a bare array. */
export class AdminMerchantListResponse {
  @ApiProperty({ type: MerchantResponse, isArray: true }) data!: MerchantResponse[];
}

export class ApplicationListResponse {
  @ApiProperty({ type: ApplicationResponse, isArray: true }) data!: ApplicationResponse[];
}

export class ApiKeyListResponse {
  @ApiProperty({ type: ApiKeyResponse, isArray: true }) data!: ApiKeyResponse[];
}
