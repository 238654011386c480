import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Matches } from 'class-validator';
import { AppError } from '../infra/errors/app-error.js';
import { MERCHANT_STATUSES, type MerchantStatus } from '../tenancy/merchant.entity.js';

export const MAX_COMPANY_IDS = 1000;
const COMPANY_ID = /^[A-Za-z0-9_.:-]{1,255}$/;
const COMPANY_ID_MESSAGE = 'each company_id must be 1 to 255 letters, digits, _ . : or -';

/**
 * Reads the lookup's query string: `?company_id=1&company_id=2` or `?company_id=1,2`, both a list,
 * up to 1,000 ids in all; any other parameter is refused, as the validation pipe does elsewhere.
 * Written out rather than checked by class-validator because this is the hottest route there is
 * and the rules are four lines (the rules and messages are those of `BatchLookupDto`).
 */
export function parseLookupQuery(query: Record<string, string[]>): string[] {
  const fields: Record<string, string[]> = {};
  for (const name of Object.keys(query)) if (name !== 'company_id') fields[name] = [`property ${name} should not exist`];
  const ids = (query.company_id ?? []).flatMap((value) => value.split(',')).map((id) => id.trim());
  if (ids.length === 0) fields.company_id = ['company_id is required'];
  else if (ids.length > MAX_COMPANY_IDS) fields.company_id = [`at most ${MAX_COMPANY_IDS} company_id values per call`];
  else if (!ids.every((id) => COMPANY_ID.test(id))) fields.company_id = [COMPANY_ID_MESSAGE];
  const problems = Object.entries(fields);
  if (problems.length > 0) {
    throw AppError.badRequest('validation_failed', problems.map(([field, p]) => `${field}: ${p.join(', ')}`).join('; '), { fields });
  }
  return ids;
}

export class BatchLookupDto {
  @ApiProperty({ example: ['1234567', '7654321'], description: `Up to ${MAX_COMPANY_IDS} company ids` })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(MAX_COMPANY_IDS, { message: `at most ${MAX_COMPANY_IDS} company_ids per call` })
  @IsString({ each: true }) @Matches(COMPANY_ID, { each: true, message: COMPANY_ID_MESSAGE })
  company_ids!: string[];
}

export class ContractItemView {
  @ApiProperty({ example: 'price_1MowQULkdIwHu7ixraBm864M' }) price_id!: string;
  @ApiProperty({ example: 1, nullable: true, type: Number, description: 'None for metered prices' }) quantity!: number | null;
  @ApiProperty({ enum: ['licensed', 'metered'], example: 'licensed' }) usage_type!: string;
}

export class AppPaymentCustomerView {
  @ApiProperty({ example: '1234567' }) company_id!: string;
  @ApiProperty({ example: 'cus_NffrFeUfNV2Hib', nullable: true, type: String }) stripe_customer_id!: string | null;
  @ApiProperty({ example: 'price_1MowQULkdIwHu7ixraBm864M', nullable: true, type: String, description: "The licensed item's price of the current subscription (during a trial: the trial's price)" }) stripe_price_id!: string | null;
  @ApiProperty({ example: ['sub_1MowQVLkdIwHu7ixeRlqHVzs'], description: 'Newest first; empty during a platform trial' }) stripe_subscription_ids!: string[];
  @ApiProperty({ example: 1, nullable: true, type: Number, description: "The licensed item's quantity (items.data.quantity); 1 for a fixed price" }) quantity!: number | null;
  @ApiPropertyOptional({ example: null, nullable: true, type: Number, description: 'Seats during a platform trial' }) trial_quantity!: number | null;
  @ApiPropertyOptional({ example: null, nullable: true, type: String }) trial_end!: string | null;
  @ApiProperty({ example: 'active', description: "The current subscription's Stripe status; `trialing` during a platform trial; null when there is neither" , nullable: true, type: String }) status!: string | null;
  @ApiProperty({
    example: true,
    description: 'active, past_due, unpaid, incomplete, paused: true; canceled, incomplete_expired, trial only: false; always false once the merchant is deauthorized (`merchant_status`)',
  })
  contracted!: boolean;
  @ApiProperty({ type: ContractItemView, isArray: true }) items!: ContractItemView[];
  @ApiProperty({
    enum: MERCHANT_STATUSES,
    example: 'active',
    description:
      "The state of the application's merchant: `active`, or `deauthorized` once its Stripe account has left the platform (account.application.deauthorized), after which no company is contracted and `status` is the subscription's last status in Stripe",
  })
  merchant_status!: MerchantStatus;
}

export class AppPaymentCustomersResponse {
  @ApiProperty({ type: AppPaymentCustomerView, isArray: true }) app_payment_customers!: AppPaymentCustomerView[];
}
