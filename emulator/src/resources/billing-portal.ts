// The customer portal: configurations (what the portal lets a customer do; each account has a
// default one, made on first use as Stripe makes it when the portal is first set up) and sessions
// (a link to the portal page for one customer), with their `billing_portal.*` events.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { pageOf } from '../http/list.js';
import type { Params } from '../http/params.js';
import type { ApiRouter } from '../http/routes.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { nullableStr, updateWithEvent } from './common.js';

type Configuration = Stripe.BillingPortal.Configuration;
type Features = Stripe.BillingPortal.Configuration.Features;

function defaultFeatures(): Features {
  return {
    customer_update: { allowed_updates: [], enabled: false },
    invoice_history: { enabled: true },
    payment_method_update: { enabled: true, payment_method_configuration: null },
    subscription_cancel: {
      cancellation_reason: { enabled: false, feedback_options: null, options: [] },
      enabled: true,
      mode: 'at_period_end',
      proration_behavior: 'none',
    },
    subscription_pause: { duration: { interval_options: [], type: 'indefinite' }, enabled: false },
    subscription_update: {
      billing_cycle_anchor: null,
      default_allowed_updates: ['price', 'quantity'],
      enabled: true,
      products: [],
      proration_behavior: 'create_prorations',
      schedule_at_period_end: { conditions: [] },
      trial_update_behavior: 'end_trial',
    },
  };
}

/** `features[…]` of a create or update, merged over `current`. The portal page shows every action whatever they say (README, Differences). */
function featuresParam(p: Params | undefined, current: Features): Features {
  if (!p) return current;
  const next = structuredClone(current);
  const enabled = (f: Params | undefined, target: { enabled: boolean }) => {
    const v = f?.bool('enabled');
    if (v !== undefined) target.enabled = v;
  };
  const customerUpdate = p.obj('customer_update');
  enabled(customerUpdate, next.customer_update);
  if (customerUpdate?.has('allowed_updates')) next.customer_update.allowed_updates = (customerUpdate.strings('allowed_updates') ?? []) as Stripe.BillingPortal.Configuration.Features.CustomerUpdate.AllowedUpdate[];
  enabled(p.obj('invoice_history'), next.invoice_history);
  const pmUpdate = p.obj('payment_method_update');
  enabled(pmUpdate, next.payment_method_update);
  if (pmUpdate) next.payment_method_update.payment_method_configuration = nullableStr(pmUpdate, 'payment_method_configuration', next.payment_method_update.payment_method_configuration);
  const cancel = p.obj('subscription_cancel');
  enabled(cancel, next.subscription_cancel);
  if (cancel) {
    next.subscription_cancel.mode = cancel.oneOf('mode', ['at_period_end', 'immediately'] as const) ?? next.subscription_cancel.mode;
    next.subscription_cancel.proration_behavior = cancel.oneOf('proration_behavior', ['always_invoice', 'create_prorations', 'none'] as const) ?? next.subscription_cancel.proration_behavior;
    const reason = cancel.obj('cancellation_reason');
    enabled(reason, next.subscription_cancel.cancellation_reason);
    if (reason?.has('options')) next.subscription_cancel.cancellation_reason.options = (reason.strings('options') ?? []) as Stripe.BillingPortal.Configuration.Features.SubscriptionCancel.CancellationReason.Option[];
  }
  enabled(p.obj('subscription_pause'), next.subscription_pause);
  const update = p.obj('subscription_update');
  enabled(update, next.subscription_update);
  if (update) {
    if (update.has('default_allowed_updates')) next.subscription_update.default_allowed_updates = (update.strings('default_allowed_updates') ?? []) as Stripe.BillingPortal.Configuration.Features.SubscriptionUpdate.DefaultAllowedUpdate[];
    next.subscription_update.proration_behavior = update.oneOf('proration_behavior', ['always_invoice', 'create_prorations', 'none'] as const) ?? next.subscription_update.proration_behavior;
    const products = update.list('products');
    if (products) next.subscription_update.products = products.map((pr) => ({ product: pr.reqStr('product'), prices: pr.strings('prices') ?? [], adjustable_quantity: { enabled: false, maximum: null, minimum: 1 } }));
  }
  return next;
}

function businessProfile(p: Params | undefined, current: Stripe.BillingPortal.Configuration.BusinessProfile): Stripe.BillingPortal.Configuration.BusinessProfile {
  if (!p) return current;
  return {
    headline: nullableStr(p, 'headline', current.headline),
    privacy_policy_url: nullableStr(p, 'privacy_policy_url', current.privacy_policy_url),
    terms_of_service_url: nullableStr(p, 'terms_of_service_url', current.terms_of_service_url),
  };
}

function buildConfiguration(emu: Emulator, isDefault: boolean): Configuration {
  const now = emu.clock.now();
  return {
    id: newId('bpc'),
    object: 'billing_portal.configuration',
    active: true,
    application: null,
    business_profile: { headline: null, privacy_policy_url: null, terms_of_service_url: null },
    created: now,
    default_return_url: null,
    features: defaultFeatures(),
    is_default: isDefault,
    livemode: false,
    login_page: { enabled: false, url: null },
    metadata: {},
    name: null,
    updated: now,
  };
}

/** The account's default configuration, made the first time a portal session or a list needs it. */
function defaultConfiguration(emu: Emulator, scope: Scope): Configuration {
  const existing = scope.portalConfigurations.find((c) => c.is_default);
  if (existing) return existing;
  const config = buildConfiguration(emu, true);
  scope.portalConfigurations.add(config);
  return config;
}

function applyConfigurationParams(config: Configuration, p: Params): void {
  const active = p.bool('active');
  if (active !== undefined) config.active = active;
  config.business_profile = businessProfile(p.obj('business_profile'), config.business_profile);
  config.default_return_url = nullableStr(p, 'default_return_url', config.default_return_url);
  config.features = featuresParam(p.obj('features'), config.features);
  if (p.obj('login_page')?.bool('enabled')) throw errors.invalid('The emulator has no portal login page (`login_page[enabled]=true`); see emulator/README.md.', 'login_page[enabled]');
  config.metadata = p.metadata('metadata', config.metadata ?? {});
  config.name = nullableStr(p, 'name', config.name);
}

export function billingPortalRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/billing_portal/configurations', [
    'business_profile[headline]', 'business_profile[privacy_policy_url]', 'business_profile[terms_of_service_url]',
    'default_return_url', 'features[customer_update][allowed_updates]', 'features[customer_update][enabled]',
    'features[subscription_cancel][cancellation_reason][enabled]',
    'features[subscription_cancel][cancellation_reason][options]', 'features[subscription_cancel][enabled]',
    'features[subscription_cancel][mode]', 'features[subscription_cancel][proration_behavior]', 'metadata', 'name',
  ], ({ scope, p }) => {
    defaultConfiguration(emu, scope);
    const config = buildConfiguration(emu, false);
    applyConfigurationParams(config, p);
    scope.portalConfigurations.add(config);
    emu.events.publish(scope, 'billing_portal.configuration.created', config);
    return config;
  });
  r.add('GET', '/v1/billing_portal/configurations/:id', [], ({ scope, params }) => scope.portalConfigurations.require(params.id));
  r.add('POST', '/v1/billing_portal/configurations/:id', [
    'active', 'default_return_url', 'features[subscription_update][default_allowed_updates]',
    'features[subscription_update][enabled]', 'features[subscription_update][proration_behavior]', 'metadata', 'name',
  ], ({ scope, params, p }) => {
    const config = scope.portalConfigurations.require(params.id);
    return updateWithEvent(emu, scope, 'billing_portal.configuration.updated', config, () => {
      applyConfigurationParams(config, p);
      config.updated = emu.clock.now();
    });
  });
  r.add('GET', '/v1/billing_portal/configurations', ['active', 'ending_before', 'is_default', 'limit', 'starting_after'], ({ scope, p }) => {
    defaultConfiguration(emu, scope);
    const active = p.bool('active');
    const isDefault = p.bool('is_default');
    return pageOf(
      scope.portalConfigurations,
      p,
      '/v1/billing_portal/configurations',
      active === undefined && isDefault === undefined ? undefined : (c) => (active === undefined || c.active === active) && (isDefault === undefined || c.is_default === isDefault),
    );
  });

  r.add('POST', '/v1/billing_portal/sessions', ['configuration', 'customer', 'locale', 'on_behalf_of', 'return_url'], ({ scope, p }) => {
    const customer = scope.customers.require(p.reqStr('customer'), 'customer');
    const configId = p.str('configuration');
    const configuration = configId ? scope.portalConfigurations.require(configId, 'configuration') : defaultConfiguration(emu, scope);
    if (!configuration.active) throw errors.invalid(`The configuration \`${configuration.id}\` is not active.`, 'configuration');
    const id = newId('bps');
    const session: Stripe.BillingPortal.Session = {
      id,
      object: 'billing_portal.session',
      configuration: configuration.id,
      created: emu.clock.now(),
      customer: customer.id,
      customer_account: null,
      flow: null,
      livemode: false,
      locale: (p.str('locale') as Stripe.BillingPortal.Session.Locale | undefined) ?? null,
      on_behalf_of: p.str('on_behalf_of') || null,
      return_url: p.str('return_url') || configuration.default_return_url,
      url: `${emu.publicUrl}/portal/${id}`,
    };
    scope.portalSessions.add(session);
    emu.pageIndex.set(id, scope);
    emu.events.publish(scope, 'billing_portal.session.created', session);
    return session;
  });
}
