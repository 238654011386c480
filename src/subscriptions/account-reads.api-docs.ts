import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ACCOUNT_AUTH, ApiErrors } from '../infra/http/errors.api-docs.js';
import { FLOW } from '../infra/http/seed-flow.api-docs.js';
import { AccountView, CatalogResponse, InvoiceListResponse } from './account-reads.dto.js';
import { INVOICE_LIST_LIMIT } from './account-reads.repository.js';

/** The OpenAPI description of the billing page's reads, in the seeds' story (seed-flow.api-docs.ts). */
const op = (name: string, summary: string, description: string) => ApiOperation({ operationId: `subscriptions.${name}`, summary, description });

const CATALOG_EXAMPLE = {
  data: [
    { price_id: FLOW.monthlyPrice, product_id: FLOW.productId, product_name: FLOW.applicationName, product_description: null, nickname: null, currency: 'jpy', unit_amount: 3000, interval: 'month', interval_count: 1, usage_type: 'licensed', lookup_key: 'inbox_manager_monthly' },
    { price_id: FLOW.yearlyPrice, product_id: FLOW.productId, product_name: FLOW.applicationName, product_description: null, nickname: null, currency: 'jpy', unit_amount: 30000, interval: 'year', interval_count: 1, usage_type: 'licensed', lookup_key: 'inbox_manager_yearly' },
  ],
};

const INVOICES_EXAMPLE = {
  data: [
    {
      id: FLOW.yearlyInvoiceId,
      subscription_id: FLOW.subscriptionId,
      status: 'paid',
      billing_reason: 'subscription_update',
      currency: 'jpy',
      total: 27500,
      amount_due: 27500,
      amount_paid: 27500,
      amount_remaining: 0,
      hosted_invoice_url: 'https://invoice.stripe.com/i/acct_1QyT0a/test_YWNjdF8xUXlUMGE',
      period_start: '2026-11-25T09:00:00.000Z',
      period_end: '2027-11-25T09:00:00.000Z',
      created: '2026-11-25T09:00:00.000Z',
    },
    {
      id: FLOW.firstInvoiceId,
      subscription_id: FLOW.subscriptionId,
      status: 'paid',
      billing_reason: 'subscription_create',
      currency: 'jpy',
      total: 3000,
      amount_due: 3000,
      amount_paid: 3000,
      amount_remaining: 0,
      hosted_invoice_url: 'https://invoice.stripe.com/i/acct_1QyT0a/test_YWNjdF8xUXlUMGF',
      period_start: '2026-11-20T01:23:45.000Z',
      period_end: '2026-12-20T01:23:45.000Z',
      created: '2026-11-20T01:23:45.000Z',
    },
  ],
};

export const AccountReadsDocs = {
  catalog: () =>
    applyDecorators(
      op(
        'catalog',
        'The prices the application sells, with product names, amounts and intervals',
        "The application's catalog as a billing page shows it before a purchase or a switch: each price with its product's name, amount (smallest currency unit), interval and usage type, from the catalog mirror (no Stripe call), monthly before yearly. Any role may read it. Prices the mirror does not hold yet (created a moment ago, their webhook on its way), archived prices and archived products are left out.",
      ),
      ApiOkResponse({ type: CatalogResponse, description: 'The prices (possibly none)', example: CATALOG_EXAMPLE }),
      ApiErrors(ACCOUNT_AUTH),
    ),
  invoices: () =>
    applyDecorators(
      op(
        'invoices',
        "The invoices of the account's subscriptions",
        `The invoices of the account's subscriptions to the application, newest first (at most ${INVOICE_LIST_LIMIT}), as mirrored from Stripe's invoice events and listings (no Stripe call): status, amounts in the smallest currency unit, the billed period and Stripe's hosted page of each. Any role may read them.`,
      ),
      ApiOkResponse({ type: InvoiceListResponse, description: 'The invoices (possibly none)', example: INVOICES_EXAMPLE }),
      ApiErrors(ACCOUNT_AUTH),
    ),
  account: () =>
    applyDecorators(
      op(
        'account',
        'Who the token is for, and whether it may change billing',
        "The account and application the token resolves to, its roles, and `is_owner`: whether it may check out, open the portal, sync, change, cancel and resume (the owner role). A billing page reads it to show a member the billing read-only instead of buttons that would answer 403 owner_role_required.",
      ),
      ApiOkResponse({ type: AccountView, description: 'The token’s account and role', example: { account_id: FLOW.accountId, application_id: FLOW.applicationId, roles: ['owner'], is_owner: true } }),
      ApiErrors(ACCOUNT_AUTH),
    ),
};
