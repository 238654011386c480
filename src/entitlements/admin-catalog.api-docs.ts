import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ADMIN_AUTH, ApiErrors, STRIPE_CALLS } from '../infra/http/errors.api-docs.js';
import { FLOW } from '../infra/http/seed-flow.api-docs.js';
import { CatalogSyncResponse } from './catalog-sync.dto.js';

/** The OpenAPI description of the catalog sync (the body's DTO stays beside the controller that validates it). */
export const AdminCatalogDocs = {
  /** `body`: the DTO the controller validates the body with. */
  sync: (body: new () => object) =>
    applyDecorators(
      ApiOperation({
        operationId: 'admin.catalog.sync',
        summary: 'Copy products, prices, features and product features from Stripe into the mirror',
        description:
          "Reads the whole catalog of each Stripe account that sells (once for the platform, once per direct merchant's connected account; 100 a page) into the mirror that checkout, " +
          'features and the lookups read. Webhooks keep it current afterwards; run it after connecting a merchant or when the mirror is in doubt. Answers what was copied, per Stripe account.',
      }),
      ApiBody({
        type: body,
        examples: { all: { summary: 'Every active merchant', value: {} }, one: { summary: 'One merchant', value: { merchant_id: FLOW.connectedMerchantId } } },
      }),
      ApiOkResponse({
        type: CatalogSyncResponse,
        example: {
          data: [
            { stripe_account: 'platform', merchant_ids: [FLOW.merchantId], products: 1, prices: 3, features: 2, product_features: 2 },
            { stripe_account: FLOW.connectedAccount, merchant_ids: [FLOW.connectedMerchantId], products: 2, prices: 4, features: 2, product_features: 3 },
          ],
        },
      }),
      ApiErrors(ADMIN_AUTH, STRIPE_CALLS, { 400: ['validation_failed'], 404: ['merchant_not_found'] }),
    ),
};
