import { ApiProperty } from '@nestjs/swagger';

/** A price of the application's catalog, as the catalog mirror holds it, with its product. */
export class CatalogPriceView {
  @ApiProperty({ example: 'price_1MowQULkdIwHu7ixraBm864M' }) price_id!: string;
  @ApiProperty({ example: 'prod_NWjs8kKbJWmuuc' }) product_id!: string;
  @ApiProperty({ example: 'Standard' }) product_name!: string;
  @ApiProperty({ example: 'Everything a small team needs', nullable: true, type: String }) product_description!: string | null;
  @ApiProperty({ example: null, nullable: true, type: String, description: "The price's nickname in Stripe" }) nickname!: string | null;
  @ApiProperty({ example: 'jpy', description: 'ISO currency code, lower case' }) currency!: string;
  @ApiProperty({ example: 1000, nullable: true, type: Number, description: 'In the smallest unit of the currency (yen; cents for USD); null for tiered prices' }) unit_amount!: number | null;
  @ApiProperty({ example: 'month', enum: ['day', 'week', 'month', 'year'], nullable: true, type: String }) interval!: string | null;
  @ApiProperty({ example: 1, nullable: true, type: Number }) interval_count!: number | null;
  @ApiProperty({ enum: ['licensed', 'metered'], example: 'licensed', nullable: true, type: String, description: 'licensed: per seat (a quantity); metered: by reported usage' }) usage_type!: string | null;
  @ApiProperty({ example: 'standard_monthly', nullable: true, type: String }) lookup_key!: string | null;
}

export class CatalogResponse {
  @ApiProperty({ type: CatalogPriceView, isArray: true }) data!: CatalogPriceView[];
}

/** An invoice of one of the account's subscriptions, as the subscription mirror holds it. */
export class InvoiceView {
  @ApiProperty({ example: 'in_1MowQWLkdIwHu7ixuzkSPfKd' }) id!: string;
  @ApiProperty({ example: 'sub_1MowQVLkdIwHu7ixeRlqHVzs' }) subscription_id!: string;
  @ApiProperty({ example: 'paid', enum: ['draft', 'open', 'paid', 'uncollectible', 'void'], nullable: true, type: String }) status!: string | null;
  @ApiProperty({ example: 'subscription_create', nullable: true, type: String, description: "Stripe's billing_reason: subscription_create, subscription_cycle, subscription_update..." }) billing_reason!: string | null;
  @ApiProperty({ example: 'jpy' }) currency!: string;
  @ApiProperty({ example: 1000, description: 'Smallest currency unit' }) total!: number;
  @ApiProperty({ example: 1000 }) amount_due!: number;
  @ApiProperty({ example: 1000 }) amount_paid!: number;
  @ApiProperty({ example: 0 }) amount_remaining!: number;
  @ApiProperty({ example: 'https://invoice.stripe.com/i/acct_1/test_YWNj', nullable: true, type: String, description: "Stripe's page of the invoice (view, pay, download)" }) hosted_invoice_url!: string | null;
  @ApiProperty({ example: '2026-11-01T00:00:00.000Z', nullable: true, type: String }) period_start!: string | null;
  @ApiProperty({ example: '2026-12-01T00:00:00.000Z', nullable: true, type: String }) period_end!: string | null;
  @ApiProperty({ example: '2026-11-01T00:00:00.000Z' }) created!: string;
}

export class InvoiceListResponse {
  @ApiProperty({ type: InvoiceView, isArray: true }) data!: InvoiceView[];
}

/** Who the token is for, and what it may do. */
export class AccountView {
  @ApiProperty({ example: 'ACME' }) account_id!: string;
  @ApiProperty({ example: 'default' }) application_id!: string;
  @ApiProperty({ example: ['owner'], type: String, isArray: true, description: "The token's roles" }) roles!: string[];
  @ApiProperty({ example: true, description: 'Whether the token may change billing (checkout, portal, sync, change, cancel, resume)' }) is_owner!: boolean;
}
