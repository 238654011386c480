import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiQuery } from '@nestjs/swagger';
import { ApiErrors, PARTNER_AUTH } from '../infra/http/errors.api-docs.js';
import { FLOW } from '../infra/http/seed-flow.api-docs.js';
import { AppPaymentCustomersResponse, BatchLookupDto, MAX_COMPANY_IDS } from './app-payment-customers.dto.js';

/** The OpenAPI description of the partner contract lookup (docs/freee.md: what each field means). */
const APPLICATION_ID = ApiParam({ name: 'application_id', description: 'The application the API key was issued for', example: FLOW.applicationId });

const ITEMS = [
  { price_id: FLOW.monthlyPrice, quantity: 1, usage_type: 'licensed' },
  { price_id: FLOW.meteredPrice, quantity: null, usage_type: 'metered' },
];
/** The companies of the flow: 3001002 contracted (fixed + metered price), 3001001 in a platform trial of 3 seats. */
const CONTRACTS = {
  app_payment_customers: [
    {
      company_id: FLOW.accountId,
      stripe_customer_id: FLOW.customerId,
      stripe_price_id: FLOW.monthlyPrice,
      stripe_subscription_ids: [FLOW.subscriptionId],
      quantity: 1,
      trial_quantity: null,
      trial_end: null,
      status: 'active',
      contracted: true,
      items: ITEMS,
      merchant_status: 'active',
    },
    {
      company_id: FLOW.trialAccountId,
      stripe_customer_id: FLOW.trialCustomerId,
      stripe_price_id: FLOW.monthlyPrice,
      stripe_subscription_ids: [],
      quantity: null,
      trial_quantity: 3,
      trial_end: '2026-12-04T00:00:00.000Z',
      status: 'trialing',
      contracted: false,
      items: [],
      merchant_status: 'active',
    },
  ],
};

const ERRORS = ApiErrors(PARTNER_AUTH, { 400: ['validation_failed'] });
const FIELDS =
  '`stripe_price_id` is the price the company contracts for (during a platform trial: the trial\'s), `quantity` its licensed quantity (items.data.quantity), `trial_quantity` the seats of a trial, ' +
  '`status` the Stripe status, `contracted` whether it counts as a contract (active, past_due, unpaid, incomplete, paused), always false once the merchant is deauthorized.';

export const AppPaymentCustomersDocs = {
  lookup: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'appPaymentCustomers.lookup',
        summary: "A company's contract with the application (freee AppPaymentCustomers)",
        description:
          "What the companies (freee company_id: our account id) have bought from the application, as the freee app store's AppPaymentCustomers API answers it, from the mirror in one query (no Stripe call). " +
          `Unknown companies are left out of the list (no error). \`company_id\` may be repeated or comma-separated, up to ${MAX_COMPANY_IDS} in all; for long lists use the batch. ` +
          FIELDS,
      }),
      APPLICATION_ID,
      ApiQuery({ name: 'company_id', required: true, type: String, example: `${FLOW.accountId},${FLOW.trialAccountId}`, description: `A freee company_id (our account id); repeat it or separate with commas, up to ${MAX_COMPANY_IDS} in all` }),
      ApiOkResponse({ type: AppPaymentCustomersResponse, example: CONTRACTS }),
      ERRORS,
    ),

  batchLookup: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'appPaymentCustomers.batchLookup',
        summary: `The same lookup for up to ${MAX_COMPANY_IDS.toLocaleString('en')} company ids in one call`,
        description: `The lookup with the company ids in the body (up to ${MAX_COMPANY_IDS}), for lists too long for a URL; answers as the lookup does, unknown companies left out. ` + FIELDS,
      }),
      APPLICATION_ID,
      ApiBody({ type: BatchLookupDto, examples: { two: { summary: 'A contracted company and one in a trial', value: { company_ids: [FLOW.accountId, FLOW.trialAccountId] } } } }),
      ApiOkResponse({ type: AppPaymentCustomersResponse, example: CONTRACTS }),
      ERRORS,
    ),
};
