// Everything that belongs to one Stripe account: the platform, or one connected account
// (`Stripe-Account: acct_…`). Objects of one scope are invisible from every other.
import type Stripe from 'stripe';
import type { CardInfo } from '../billing/cards.js';
import { Collection, type Identified } from './collection.js';
import type { EmulatorEvent } from '../webhooks/event-types.js';

/** Emulator-only bookkeeping for a subscription that Stripe keeps but does not show. */
export interface SubscriptionState {
  /** Proration lines waiting for the next invoice (`proration_behavior=create_prorations`). */
  pendingLines: Stripe.InvoiceLineItem[];
  /** Unix time of the first failed payment of the current dunning run. */
  retriesLeft: number;
}

/** One accepted meter event, as much as aggregation needs (billing/usage.ts; Stripe never lists them back). */
export interface RecordedMeterEvent {
  identifier: string;
  customer: string;
  value: number;
  timestamp: number;
}

export class Scope {
  readonly customers = new Collection<Stripe.Customer>('customer');
  readonly products = new Collection<Stripe.Product>('product');
  readonly prices = new Collection<Stripe.Price>('price');
  readonly taxRates = new Collection<Stripe.TaxRate>('tax_rate');
  readonly features = new Collection<Stripe.Entitlements.Feature>('feature');
  readonly productFeatures = new Collection<Stripe.ProductFeature & { product: string }>('product feature');
  readonly checkoutSessions = new Collection<Stripe.Checkout.Session>('checkout.session');
  readonly portalSessions = new Collection<Stripe.BillingPortal.Session>('billing portal session');
  readonly portalConfigurations = new Collection<Stripe.BillingPortal.Configuration>('configuration');
  readonly subscriptions = new Collection<Stripe.Subscription>('subscription');
  readonly invoices = new Collection<Stripe.Invoice>('invoice');
  readonly events = new Collection<EmulatorEvent>('event');
  readonly webhookEndpoints = new Collection<Stripe.WebhookEndpoint>('webhook endpoint');
  readonly testClocks = new Collection<Stripe.TestHelpers.TestClock>('test_clock');
  readonly coupons = new Collection<Stripe.Coupon>('coupon');
  readonly promotionCodes = new Collection<Stripe.PromotionCode>('promotion code');
  readonly discounts = new Collection<Stripe.Discount>('discount');
  readonly meters = new Collection<Stripe.Billing.Meter>('billing.meter');
  readonly paymentMethods = new Collection<Stripe.PaymentMethod>('PaymentMethod');
  readonly paymentIntents = new Collection<Stripe.PaymentIntent>('payment_intent');
  readonly setupIntents = new Collection<Stripe.SetupIntent>('setup_intent');
  readonly charges = new Collection<Stripe.Charge>('charge');
  readonly refunds = new Collection<Stripe.Refund>('refund');
  readonly invoicePayments = new Collection<Stripe.InvoicePayment>('invoice_payment');
  readonly invoiceItems = new Collection<Stripe.InvoiceItem>('invoiceitem');
  readonly subscriptionSchedules = new Collection<Stripe.SubscriptionSchedule>('subscription_schedule');

  /** Payment methods by id (test cards). Only what charging needs is kept. */
  readonly cards = new Map<string, CardInfo>();
  /** subscription item id → subscription id. */
  readonly itemOwners = new Map<string, string>();
  readonly subscriptionState = new Map<string, SubscriptionState>();
  /** Checkout line items by session id (Stripe returns them only when expanded). */
  readonly checkoutLineItems = new Map<string, Stripe.LineItem[]>();
  /** Last announced active entitlement summary by customer, to emit an event only on change. */
  readonly entitlementSummaries = new Map<string, Stripe.Entitlements.ActiveEntitlementSummary>();
  /** Stable active entitlement ids by `customer feature`. */
  readonly entitlementIds = new Map<string, string>();
  /** Discounts of `duration=once` coupons that an invoice has used. */
  readonly usedDiscounts = new Set<string>();
  /** Meter events by `event_name` (billing/usage.ts), and the identifiers seen, for dedupe. */
  readonly meterEvents = new Map<string, RecordedMeterEvent[]>();
  readonly meterEventIds = new Set<string>();

  constructor(readonly account: string | null) {}

  /** Finds any object by id, for `expand`. The id prefix says which collection holds it. */
  lookup(id: string): Identified | undefined {
    const prefix = id.slice(0, id.indexOf('_'));
    const collection = PREFIXES[prefix]?.(this);
    // Coupon ids are chosen by the merchant (`SUMMER25`): no prefix names their collection.
    return collection?.get(id) ?? this.coupons.get(id);
  }

  subState(subscriptionId: string): SubscriptionState {
    let state = this.subscriptionState.get(subscriptionId);
    if (!state) {
      state = { pendingLines: [], retriesLeft: 0 };
      this.subscriptionState.set(subscriptionId, state);
    }
    return state;
  }
}

const PREFIXES: Record<string, (s: Scope) => Collection<Identified>> = {
  cus: (s) => s.customers,
  prod: (s) => s.products,
  price: (s) => s.prices,
  txr: (s) => s.taxRates,
  feat: (s) => s.features,
  prodft: (s) => s.productFeatures,
  cs: (s) => s.checkoutSessions,
  bps: (s) => s.portalSessions,
  bpc: (s) => s.portalConfigurations,
  sub: (s) => s.subscriptions,
  in: (s) => s.invoices,
  evt: (s) => s.events,
  we: (s) => s.webhookEndpoints,
  clock: (s) => s.testClocks,
  promo: (s) => s.promotionCodes,
  di: (s) => s.discounts,
  mtr: (s) => s.meters,
  pm: (s) => s.paymentMethods,
  pi: (s) => s.paymentIntents,
  seti: (s) => s.setupIntents,
  ch: (s) => s.charges,
  re: (s) => s.refunds,
  inpay: (s) => s.invoicePayments,
  ii: (s) => s.invoiceItems,
};
