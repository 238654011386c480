import type supertest from 'supertest';
import type { Stack } from '../support/stack.js';

/** One entry of the lookup's answer, as a partner reads it. */
export interface AppPaymentCustomer {
  company_id: string;
  stripe_customer_id: string | null;
  stripe_price_id: string | null;
  stripe_subscription_ids: string[];
  quantity: number | null;
  trial_quantity: number | null;
  trial_end: string | null;
  status: string | null;
  contracted: boolean;
  items: { price_id: string; quantity: number | null; usage_type: string }[];
  merchant_status: 'active' | 'deauthorized';
}

export const lookupPath = (applicationId = 'default') => `/api/applications/${applicationId}/app-payment-customers`;

/** Issues a partner API key of an application through the admin API. */
export async function issueKey(s: Stack, applicationId = 'default', name = 'freee'): Promise<{ id: string; key: string }> {
  const res = await s.admin(s.http().post(`/admin/applications/${applicationId}/api-keys`)).send({ name });
  if (res.status !== 201 && res.status !== 200) throw new Error(`issuing a key: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, key: res.body.key as string };
}

/** GET the lookup with `company_id` as given (a raw query string) and the key as a bearer token. */
export function lookupGet(s: Stack, key: string | undefined, query: string, applicationId = 'default'): supertest.Test {
  const req = s.http().get(`${lookupPath(applicationId)}${query ? `?${query}` : ''}`);
  if (key !== undefined) req.set('authorization', `Bearer ${key}`);
  return req;
}

/** POST the batch lookup. */
export function lookupBatch(s: Stack, key: string | undefined, body: unknown, applicationId = 'default'): supertest.Test {
  const req = s.http().post(`${lookupPath(applicationId)}/batch`);
  if (key !== undefined) req.set('authorization', `Bearer ${key}`);
  return req.send(body as object);
}

/** The answer for each company, keyed by company id (fails on a non-200). */
export async function lookupMap(s: Stack, key: string, companyIds: string[], applicationId = 'default'): Promise<Map<string, AppPaymentCustomer>> {
  const res = await lookupGet(s, key, `company_id=${companyIds.map(encodeURIComponent).join(',')}`, applicationId);
  if (res.status !== 200) throw new Error(`lookup: ${res.status} ${JSON.stringify(res.body)}`);
  const list = res.body.app_payment_customers as AppPaymentCustomer[];
  return new Map(list.map((c) => [c.company_id, c]));
}
