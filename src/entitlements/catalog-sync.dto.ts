import { ApiProperty } from '@nestjs/swagger';

/** What one Stripe account's catalog sync copied (CatalogSyncService's CatalogSyncResult). */
export class CatalogSyncResultView {
  @ApiProperty({ example: 'platform', description: '`platform`, or the connected account (`acct_...`) of a direct merchant' }) stripe_account!: string;
  @ApiProperty({ example: ['platform'], description: 'The merchants that sell from this account' }) merchant_ids!: string[];
  @ApiProperty({ example: 2 }) products!: number;
  @ApiProperty({ example: 4 }) prices!: number;
  @ApiProperty({ example: 2 }) features!: number;
  @ApiProperty({ example: 3 }) product_features!: number;
}

export class CatalogSyncResponse {
  @ApiProperty({ type: CatalogSyncResultView, isArray: true }) data!: CatalogSyncResultView[];
}
