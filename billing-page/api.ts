// The API as the page uses it: `@billing/client` for every route it covers, and one small fetch
// helper for the reads the client does not have methods for yet (catalog, invoices, who the token
// is, the change preview), which throws the client's BillingApiError the same way.
import { BillingApiError, createBillingClient, type AccountMerchant, type Feature, type Subscription, type SubscriptionsApi } from '@billing/client';

export type { AccountMerchant, Feature, Subscription };
export { BillingApiError };

export interface CatalogPrice {
  price_id: string;
  product_id: string;
  product_name: string;
  product_description: string | null;
  nickname: string | null;
  currency: string;
  unit_amount: number | null;
  interval: string | null;
  interval_count: number | null;
  usage_type: string | null;
  lookup_key: string | null;
}

export interface Invoice {
  id: string;
  subscription_id: string;
  status: string | null;
  billing_reason: string | null;
  currency: string;
  total: number;
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
  hosted_invoice_url: string | null;
  period_start: string | null;
  period_end: string | null;
  created: string;
}

export interface Viewer {
  account_id: string;
  application_id: string;
  roles: string[];
  is_owner: boolean;
}

export type ChangeParams = { interval: 'month' | 'year' } | { quantity: number } | { price_id: string; quantity?: number };

export interface PageApi {
  subscriptions: SubscriptionsApi;
  catalog(): Promise<CatalogPrice[]>;
  invoices(): Promise<Invoice[]>;
  viewer(): Promise<Viewer>;
  previewChange(subscriptionId: string, params: ChangeParams): Promise<unknown>;
}

/**
 * The page's API on this origin. `token` is read before every request, so that a token the host
 * sends later (a refresh) is used from then on; `applicationId` is the `app` parameter, for hosts
 * whose tokens carry no `app` claim.
 */
export function pageApi(token: () => string | undefined, applicationId: string | undefined): PageApi {
  const baseUrl = location.origin;
  const client = createBillingClient({ baseUrl, token, ...(applicationId ? { applicationId } : {}) });

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const current = token();
    if (current) headers.authorization = `Bearer ${current}`;
    if (applicationId) headers['x-application-id'] = applicationId;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (error) {
      throw BillingApiError.network(error);
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (a proxy's page): kept as text for the error.
    }
    if (!response.ok) throw BillingApiError.fromResponse(response, parsed);
    return parsed as T;
  }

  return {
    subscriptions: client.subscriptions,
    catalog: async () => (await call<{ data: CatalogPrice[] }>('GET', '/api/subscriptions/catalog')).data,
    invoices: async () => (await call<{ data: Invoice[] }>('GET', '/api/subscriptions/invoices')).data,
    viewer: () => call<Viewer>('GET', '/api/subscriptions/account'),
    previewChange: (subscriptionId, params) => call<unknown>('POST', `/api/subscriptions/${encodeURIComponent(subscriptionId)}/change/preview`, params),
  };
}
