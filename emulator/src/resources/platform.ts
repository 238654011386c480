// Events, webhook endpoints and Connect accounts.
import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { createdFilter, listOf, pageOf } from '../http/list.js';
import type { ApiRouter } from '../http/routes.js';
import { newId } from '../store/ids.js';
import { deletedStub } from './common.js';
import { API_VERSION } from '../webhooks/events.js';

export function createWebhookEndpoint(
  emu: Emulator,
  scope: Emulator['platform'],
  fields: { url: string; enabled_events?: string[]; description?: string | null; metadata?: Record<string, string>; secret?: string; connect?: boolean },
): Stripe.WebhookEndpoint {
  const secret = fields.secret ?? `whsec_${randomBytes(24).toString('hex')}`;
  const endpoint: Stripe.WebhookEndpoint = {
    id: newId('we'),
    object: 'webhook_endpoint',
    api_version: API_VERSION,
    application: null,
    created: emu.clock.now(),
    description: fields.description ?? null,
    enabled_events: fields.enabled_events ?? ['*'],
    livemode: false,
    metadata: fields.metadata ?? {},
    status: 'enabled',
    url: fields.url,
  };
  scope.webhookEndpoints.add(endpoint);
  emu.endpointSecrets.set(endpoint.id, secret);
  if (fields.connect && !scope.account) emu.connectEndpoints.add(endpoint.id);
  return endpoint;
}

export function platformRoutes(emu: Emulator, r: ApiRouter): void {

  r.add('GET', '/v1/events/:id', [], ({ scope, params }) => scope.events.require(params.id));
  r.add('GET', '/v1/events', ['created', 'ending_before', 'limit', 'starting_after', 'type', 'types'], ({ scope, p }) => {
    const type = p.str('type');
    const types = p.strings('types');
    const created = createdFilter(p);
    // `type` accepts a trailing wildcard, as in Stripe (`customer.subscription.*`).
    const matchType = (t: string) => !type || (type.endsWith('*') ? t.startsWith(type.slice(0, -1)) : t === type);
    return pageOf(scope.events, p, '/v1/events', (e) => matchType(e.type) && (!types || types.includes(e.type)) && (!created || created(e.created)));
  });

  r.add('POST', '/v1/webhook_endpoints', ['connect', 'description', 'enabled_events', 'metadata', 'url'], ({ scope, p }) => {
    const url = p.reqStr('url');
    const events = p.strings('enabled_events');
    if (!events || events.length === 0) throw errors.missing('enabled_events');
    const connect = p.bool('connect') ?? false;
    const endpoint = createWebhookEndpoint(emu, scope, { url, enabled_events: events, description: p.str('description') || null, metadata: p.metadata(), connect });
    // Stripe shows the signing secret only in the creation response.
    return { ...endpoint, secret: emu.endpointSecrets.get(endpoint.id) };
  });
  r.add('GET', '/v1/webhook_endpoints/:id', [], ({ scope, params }) => scope.webhookEndpoints.require(params.id));
  r.add('GET', '/v1/webhook_endpoints', ['ending_before', 'limit', 'starting_after'], ({ scope, p }) => pageOf(scope.webhookEndpoints, p, '/v1/webhook_endpoints'));
  r.add('POST', '/v1/webhook_endpoints/:id', ['description', 'disabled', 'enabled_events', 'metadata', 'url'], ({ scope, params, p }) => {
    const endpoint = scope.webhookEndpoints.require(params.id);
    if (p.has('url')) endpoint.url = p.reqStr('url');
    const events = p.strings('enabled_events');
    if (events) endpoint.enabled_events = events;
    const disabled = p.bool('disabled');
    if (disabled !== undefined) endpoint.status = disabled ? 'disabled' : 'enabled';
    if (p.has('description')) endpoint.description = p.str('description') || null;
    endpoint.metadata = p.metadata('metadata', endpoint.metadata);
    return endpoint;
  });
  r.add('DELETE', '/v1/webhook_endpoints/:id', [], ({ scope, params }) => {
    const endpoint = scope.webhookEndpoints.require(params.id);
    scope.webhookEndpoints.remove(endpoint.id);
    emu.connectEndpoints.delete(endpoint.id);
    return deletedStub(endpoint.id, 'webhook_endpoint');
  });

  r.add('POST', '/v1/accounts', ['country', 'email', 'metadata', 'type'], ({ account, p }) => {
    if (account) throw errors.permission('Connected accounts cannot create accounts.');
    const id = newId('acct', 16);
    const created = emu.ensureAccount(id, {
      email: p.str('email') || null,
      country: p.str('country') || 'JP',
      type: (p.oneOf('type', ['standard', 'express', 'custom'] as const) ?? 'standard') as Stripe.Account.Type,
      metadata: p.metadata(),
    });
    return created.account;
  });
  r.add('GET', '/v1/accounts/:id', [], ({ params }) => {
    const a = emu.accounts.get(params.id);
    if (!a || a.deauthorized) throw errors.notFound('account', params.id, 'account');
    return a.account;
  });
  r.add('GET', '/v1/account', [], ({ account }) => (account ? emu.ensureAccount(account).account : emu.ensureAccount('acct_platform').account));
  r.add('GET', '/v1/accounts', ['limit'], ({ p }) => {
    const all = [...emu.accounts.values()].filter((a) => !a.deauthorized).map((a) => a.account).reverse();
    const limit = p.int('limit') ?? 10;
    return listOf(all.slice(0, limit), '/v1/accounts', all.length > limit);
  });
  r.add('DELETE', '/v1/accounts/:id', [], ({ params }) => {
    if (!emu.accounts.delete(params.id)) throw errors.notFound('account', params.id, 'account');
    return deletedStub(params.id, 'account');
  });
}
