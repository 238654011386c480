import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { accountFromMetadata, IdentityService } from '../identity/identity.service.js';
import { lockCustomers } from '../infra/stripe/object-locks.js';
import { StripeGateway } from '../infra/stripe/stripe.gateway.js';
import { invoiceRow, subscriptionRow, type InvoiceRow, type SubscriptionRow } from './stripe-objects.js';
import { canonicalRaw, SubscriptionMirrorRepository, type CanonicalRaw, type MirrorContext, type MirrorEntry, type UpsertOutcome } from './subscription-mirror.repository.js';
import { idOf } from '../infra/stripe/accounts.js';
import type { VersionMode } from '../infra/stripe/ordering.js';

/** The merchant and application a Stripe object is being applied for. */
export interface SyncScope {
  /** `platform` or the connected account the object lives on. */
  stripeAccount: string;
  merchantId: string | null;
  applicationId: string | null;
}

export type ApplyOutcome = 'applied' | 'refetched' | 'stale';

/** One event's object in a batch of events (`key`: the event's id); `created` is the event's Stripe time. */
export interface BatchedSnapshot<T> {
  key: string;
  snapshot: T;
  scope: SyncScope;
  created: number;
}

/** Options of the one-event paths: `customerLocked` when the caller holds the customer's lock already (the webhook worker try-locks it first). */
export interface ApplyOptions {
  customerLocked?: boolean;
}

/**
 * Applies Stripe subscription and invoice objects to the mirror under one ordering rule
 * (documented in docs/webhooks.md):
 *
 * - every stored object carries `stripe_version`, the Stripe time (unix seconds) of the newest
 *   state written;
 * - an event newer than the stored version writes its snapshot; an older one is skipped;
 * - an event of the same second is ambiguous (Stripe sends several per second, in any order), so
 *   the object is fetched from Stripe and that truth is written at the same version;
 * - objects fetched on purpose (sync, reconcile) are written at the Stripe time they were read,
 *   unless an event newer than that was applied meanwhile.
 *
 * Every write first takes the lock of the subscription's customer (src/infra/stripe/object-locks.ts),
 * so that writers of one customer's objects never interleave: what one reads of the stored version
 * is still what is stored when it writes. A guarded write that is refused all the same is never
 * dropped silently: the stored version is read again and a same-second state is re-fetched.
 */
@Injectable()
export class SubscriptionSyncService {
  constructor(
    private readonly mirror: SubscriptionMirrorRepository,
    private readonly identities: IdentityService,
    private readonly gateway: StripeGateway,
  ) {}

  /** A subscription snapshot carried by an event created at `eventCreated`. */
  async applySubscriptionEvent(em: EntityManager, snapshot: Stripe.Subscription, scope: SyncScope, eventCreated: number, options: ApplyOptions = {}): Promise<ApplyOutcome> {
    if (!options.customerLocked) await lockCustomers(em, scope.stripeAccount, [idOf(snapshot.customer)!]);
    const stored = await this.mirror.versionOf(em, snapshot.id);
    if (stored !== undefined && eventCreated < stored) return 'stale';
    if (stored === undefined || eventCreated > stored) {
      if (await this.write(em, await this.withAllItems(snapshot, scope), scope, eventCreated, 'newer')) return 'applied';
      // Refused although the version read just before was older: someone wrote meanwhile. Same
      // second as this event: ambiguous, so fetched below; newer: this event is stale.
      const now = await this.mirror.versionOf(em, snapshot.id);
      if (now !== undefined && now > eventCreated) return 'stale';
    }
    // Same second as the stored state: Stripe sends several events a second, in any order, so the
    // truth is fetched and written at this version.
    const fresh = await this.fetchSubscription(snapshot.id, scope);
    await this.write(em, fresh, scope, eventCreated, 'at-least');
    return 'refetched';
  }

  /** A subscription fetched from Stripe whose state was current at Stripe time `readAt`. */
  async applyFetchedSubscription(em: EntityManager, subscription: Stripe.Subscription, scope: SyncScope, readAt: number): Promise<boolean> {
    await lockCustomers(em, scope.stripeAccount, [idOf(subscription.customer)!]);
    return this.write(em, await this.withAllItems(subscription, scope), scope, readAt, 'at-least');
  }

  /** Fetches a subscription (by id) and writes it at `version`; used when an event refers to a subscription not mirrored yet. */
  async syncSubscriptionById(em: EntityManager, subscriptionId: string, scope: SyncScope, version: number): Promise<void> {
    const subscription = await this.fetchSubscription(subscriptionId, scope);
    await lockCustomers(em, scope.stripeAccount, [idOf(subscription.customer)!]);
    await this.write(em, subscription, scope, version, 'at-least');
  }

  /** An invoice snapshot carried by an event; the subscription's access is recomputed. */
  async applyInvoiceEvent(em: EntityManager, snapshot: Stripe.Invoice, scope: SyncScope, eventCreated: number, options: ApplyOptions = {}): Promise<ApplyOutcome> {
    const row = invoiceRow(snapshot);
    if (row.customerId && !options.customerLocked) await lockCustomers(em, scope.stripeAccount, [row.customerId]);
    let outcome: ApplyOutcome = 'applied';
    let written = await this.mirror.upsertInvoice(em, row, scope.stripeAccount, eventCreated, 'newer');
    if (!written) {
      // Same second as the stored state: fetch the truth. Older: keep what is stored.
      const fresh = await this.gateway.call('invoices.retrieve', (s) => s.invoices.retrieve(row.id, {}, this.gateway.accountOptions(scope.stripeAccount)));
      written = await this.mirror.upsertInvoice(em, invoiceRow(fresh), scope.stripeAccount, eventCreated, 'at-least');
      outcome = written ? 'refetched' : 'stale';
    }
    if (row.subscriptionId) {
      if ((await this.mirror.versionOf(em, row.subscriptionId)) === undefined) {
        // The invoice came before its subscription: fetch the subscription so the account's state is whole.
        await this.syncSubscriptionById(em, row.subscriptionId, scope, eventCreated);
      } else {
        await this.mirror.refreshAccess(em, row.subscriptionId);
      }
    }
    return outcome;
  }

  /**
   * Subscription events of a batch (the webhook worker's), applied under the same ordering rule as
   * `applySubscriptionEvent` in a handful of statements, whatever their number: of each
   * subscription's events only the newest can win (the older ones are stale once it is written),
   * the stored versions are read in one statement and the winners written in one upsert, each at
   * its event's time. The caller holds the locks of every customer involved. Whatever needs more
   * than that is left to the one-event path and its key returned: a same-second tie (in the batch
   * or with the stored state: the truth is fetched), items beyond the embedded page, an expanded
   * latest invoice, a write refused all the same.
   */
  async applySubscriptionEvents(em: EntityManager, events: BatchedSnapshot<Stripe.Subscription>[]): Promise<Set<string>> {
    const left = new Set<string>();
    const leave = (group: BatchedSnapshot<unknown>[]) => group.forEach((e) => left.add(e.key));
    const candidates = newestOfEach(events, (e) => e.snapshot.id, leave).filter((e) => {
      const simple = !e.snapshot.items?.has_more && (e.snapshot.latest_invoice === null || typeof e.snapshot.latest_invoice !== 'object');
      if (!simple) left.add(e.key);
      return simple;
    });
    const stored = await this.mirror.versionsOf(em, candidates.map((c) => c.snapshot.id));
    const groups = groupBy(events, (e) => e.snapshot.id);
    const winners = candidates.filter((c) => {
      const version = stored.get(c.snapshot.id);
      if (version === undefined || c.created > version) return true;
      // Older than the stored state: the whole group is stale. The same second: ambiguous, fetched one by one.
      if (c.created === version) leave(groups.get(c.snapshot.id)!);
      return false;
    });
    if (winners.length === 0) return left;
    const entries: MirrorEntry[] = [];
    for (const [stripeAccount, ofAccount] of groupBy(winners, (w) => w.scope.stripeAccount)) {
      const accountIds = await this.accountsOf(em, stripeAccount, ofAccount.map((w) => ({ customerId: idOf(w.snapshot.customer)!, link: metadataLink(w.snapshot) })));
      for (const [i, w] of ofAccount.entries()) {
        const accountId = accountIds[i]!;
        entries.push({
          row: subscriptionRow(w.snapshot),
          ctx: { stripeAccount, merchantId: w.scope.merchantId, applicationId: w.snapshot.metadata?.application_id || w.scope.applicationId, accountId },
          raw: storedRaw(w.snapshot),
          version: w.created,
        });
      }
    }
    const outcome = await this.mirror.upsertSubscriptions(em, entries, 0, 'newer');
    for (const w of winners) {
      const o = outcome.get(w.snapshot.id);
      if (o !== 'created' && o !== 'updated') leave(groups.get(w.snapshot.id)!);
    }
    return left;
  }

  /**
   * Invoice events of a batch, the same way (`applyInvoiceEvent` one by one): the newest event of
   * each invoice written in one upsert, then the access of their subscriptions recomputed in one
   * statement. An invoice whose subscription is not mirrored (it is fetched) or of the same second
   * as its stored state (fetched too) is left to the one-event path, and so is a refused write.
   */
  async applyInvoiceEvents(em: EntityManager, events: BatchedSnapshot<Stripe.Invoice>[]): Promise<Set<string>> {
    const left = new Set<string>();
    const leave = (group: BatchedSnapshot<unknown>[]) => group.forEach((e) => left.add(e.key));
    const groups = groupBy(events, (e) => e.snapshot.id!);
    const candidates = newestOfEach(events, (e) => e.snapshot.id!, leave).map((e) => ({ ...e, row: invoiceRow(e.snapshot) }));
    const [subscriptions, stored] = [
      await this.mirror.versionsOf(em, candidates.map((c) => c.row.subscriptionId!)),
      await this.mirror.invoiceVersionsOf(em, candidates.map((c) => c.row.id)),
    ];
    const winners = candidates.filter((c) => {
      const version = stored.get(c.row.id);
      if (!subscriptions.has(c.row.subscriptionId!) || version === c.created) leave(groups.get(c.row.id)!);
      else if (version === undefined || c.created > version) return true;
      return false;
    });
    const versions = new Map(winners.map((w) => [w.row.id, w.created]));
    const written = new Set<string>();
    for (const [stripeAccount, ofAccount] of groupBy(winners, (w) => w.scope.stripeAccount)) {
      for (const id of await this.mirror.upsertInvoices(em, ofAccount.map((w) => w.row), stripeAccount, (row) => versions.get(row.id)!, 'newer')) written.add(id);
    }
    for (const w of winners) if (!written.has(w.row.id)) leave(groups.get(w.row.id)!);
    await this.mirror.refreshAccess(em, winners.filter((w) => written.has(w.row.id)).map((w) => w.row.subscriptionId!));
    return left;
  }

  private async write(em: EntityManager, subscription: Stripe.Subscription, scope: SyncScope, version: number, mode: VersionMode): Promise<boolean> {
    const row = subscriptionRow(subscription);
    const ctx: MirrorContext = {
      stripeAccount: scope.stripeAccount,
      merchantId: scope.merchantId,
      applicationId: subscription.metadata?.application_id || scope.applicationId,
      accountId: await this.resolveAccount(em, subscription, scope),
    };
    // An expanded latest invoice (sync, reconcile, fetches) is written first, so that the access the
    // subscription's write carries reflects it.
    const invoice = subscription.latest_invoice && typeof subscription.latest_invoice === 'object' ? subscription.latest_invoice : undefined;
    const invoiceWritten = invoice ? await this.mirror.upsertInvoice(em, invoiceRow(invoice), scope.stripeAccount, version, 'at-least') : false;
    const written = await this.mirror.upsertSubscription(em, row, ctx, version, mode, storedRaw(subscription));
    if (!written && invoiceWritten) await this.mirror.refreshAccess(em, row.id);
    return written;
  }

  /**
   * A page of a listing (reconcile, sync), applied in a handful of statements whatever its size:
   * see `applyListedPage`. `scopeOf` says where each subscription belongs.
   */
  async applyListingPage(
    em: EntityManager,
    page: Stripe.Subscription[],
    stripeAccount: string,
    scopeOf: (subscription: Stripe.Subscription) => { merchantId: string | null; applicationId: string | null },
    readAt: number,
  ): Promise<Map<string, UpsertOutcome>> {
    return this.applyListedPage(em, await this.prepareListing(page, stripeAccount, scopeOf), stripeAccount, readAt);
  }

  /**
   * A listed page reduced to what its write needs (rows, the stored object's text and hash, the
   * facts of its customer), with the items of any subscription that has more than Stripe embeds.
   * A reconcile does this as soon as a page is listed, so that the pages waiting for a writer hold
   * these compact rows and not Stripe's objects with their expanded customer and invoice: those die
   * young instead of filling the old generation (most of a large run's memory was such garbage).
   */
  async prepareListing(
    page: readonly Stripe.Subscription[],
    stripeAccount: string,
    scopeOf: (subscription: Stripe.Subscription) => { merchantId: string | null; applicationId: string | null },
  ): Promise<ListedSubscription[]> {
    const complete = await Promise.all(page.map((s) => this.withAllItems(s, { stripeAccount, merchantId: null, applicationId: null })));
    return complete.map((subscription) => {
      const where = scopeOf(subscription);
      const invoice = subscription.latest_invoice;
      return {
        row: subscriptionRow(subscription),
        scope: { merchantId: where.merchantId, applicationId: subscription.metadata?.application_id || where.applicationId },
        stored: canonicalRaw(storedRaw(subscription)),
        invoice: invoice !== null && typeof invoice === 'object' ? invoiceRow(invoice) : null,
        customerDeleted: typeof subscription.customer === 'object' && 'deleted' in subscription.customer && subscription.customer.deleted === true,
        link: metadataLink(subscription),
      };
    });
  }

  /**
   * A prepared page (`prepareListing`) applied in a handful of statements whatever its size:
   * identities of the page's customers in one read, their expanded latest invoices in one upsert,
   * what is stored of the subscriptions and the facts of their access in one read, then the changed
   * subscriptions (with their access) in one upsert and their items in one. Subscriptions that did
   * not change only move their version and have their access recomputed, in one statement.
   */
  async applyListedPage(em: EntityManager, page: readonly ListedSubscription[], stripeAccount: string, readAt: number): Promise<Map<string, UpsertOutcome>> {
    if (page.length === 0) return new Map();
    await lockCustomers(em, stripeAccount, page.map((s) => s.row.customerId));
    const accountIds = await this.accountsOf(em, stripeAccount, page.map((s) => ({ customerId: s.row.customerId, link: s.link })));
    const entries: MirrorEntry[] = page.map((listed, i) => ({ row: listed.row, ctx: { stripeAccount, ...listed.scope, accountId: accountIds[i]! }, stored: listed.stored }));
    // Expanded latest invoices first, so that the access each subscription's write carries reflects them.
    const invoices = page.map((s) => s.invoice).filter((i): i is InvoiceRow => i !== null);
    await this.mirror.upsertInvoices(em, invoices, stripeAccount, readAt, 'at-least');
    const outcome = await this.mirror.upsertSubscriptions(em, entries, readAt, 'at-least', { skipUnchanged: true });
    // A customer the listing shows deleted no longer stands for its account (as customer.deleted says), once.
    const deletedCustomers = [...new Set(page.filter((s) => s.customerDeleted).map((s) => s.row.customerId))];
    await this.identities.markDeleted(em, stripeAccount, deletedCustomers, new Date(readAt * 1000));
    return outcome;
  }

  /** The account of a subscription: its customer's identity, else the account named in metadata (which then becomes the identity). */
  private async resolveAccount(em: EntityManager, subscription: Stripe.Subscription, scope: SyncScope): Promise<string | null> {
    const [accountId] = await this.accountsOf(em, scope.stripeAccount, [{ customerId: idOf(subscription.customer)!, link: metadataLink(subscription) }]);
    return accountId!;
  }

  /**
   * The account each customer stands for, in their order: its identity, else the account its
   * metadata names (`link`), linked now, and all of those in one write (a burst of new
   * subscriptions, or a first reconcile, is nothing but such customers); null when neither.
   */
  private async accountsOf(em: EntityManager, stripeAccount: string, customers: readonly { customerId: string; link: MetadataLink | null }[]): Promise<(string | null)[]> {
    const accounts = await this.identities.accountsOf(em, stripeAccount, customers.map((c) => c.customerId));
    const unlinked = customers.filter((c): c is { customerId: string; link: MetadataLink } => !accounts.has(c.customerId) && c.link !== null);
    const linked = await this.identities.linkMany(em, stripeAccount, unlinked.map((c) => c.link), accounts);
    const linkedOf = new Map(unlinked.map((c, i) => [c, linked[i]!]));
    return customers.map((c) => accounts.get(c.customerId) ?? linkedOf.get(c as (typeof unlinked)[number]) ?? null);
  }

  private async fetchSubscription(id: string, scope: SyncScope): Promise<Stripe.Subscription> {
    const subscription = await this.gateway.call('subscriptions.retrieve', (s) =>
      s.subscriptions.retrieve(id, { expand: ['latest_invoice', 'customer'] }, this.gateway.accountOptions(scope.stripeAccount)),
    );
    return this.withAllItems(subscription, scope);
  }

  /** Stripe embeds at most a page of items; a subscription with more is completed from the items list, never trusted half. */
  private async withAllItems(subscription: Stripe.Subscription, scope: SyncScope): Promise<Stripe.Subscription> {
    if (!subscription.items?.has_more) return subscription;
    const items = await this.gateway.call('subscriptionItems.list', (s) =>
      s.subscriptionItems.list({ subscription: subscription.id, limit: 100 }, this.gateway.accountOptions(scope.stripeAccount)).autoPagingToArray({ limit: 10_000 }),
    );
    return { ...subscription, items: { ...subscription.items, data: items, has_more: false } };
  }
}

/** The link a subscription's metadata (or its expanded customer's) asks for: the account named, and the customer's facts; null when none is named. */
function metadataLink(subscription: Stripe.Subscription): { accountId: string; customer: { customerId: string; email: string | null; name: string | null } } | null {
  const customer = typeof subscription.customer === 'object' && !('deleted' in subscription.customer && subscription.customer.deleted) ? (subscription.customer as Stripe.Customer) : undefined;
  const named = accountFromMetadata(subscription.metadata) ?? accountFromMetadata(customer?.metadata);
  if (!named) return null;
  return { accountId: named, customer: { customerId: idOf(subscription.customer)!, email: customer?.email ?? null, name: customer?.name ?? null } };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** The newest event of each object; an object whose newest second holds two events (an ambiguous order) is handed to `leave` whole. */
function newestOfEach<T extends { created: number }>(events: readonly T[], idOf: (e: T) => string, leave: (group: T[]) => void): T[] {
  const newest: T[] = [];
  for (const group of groupBy(events, idOf).values()) {
    const top = Math.max(...group.map((e) => e.created));
    const atTop = group.filter((e) => e.created === top);
    if (atTop.length > 1) leave(group);
    else newest.push(atTop[0]!);
  }
  return newest;
}

/**
 * The subscription as stored in `raw`: expanded references (customer, latest invoice) collapsed to
 * their ids, so that a webhook snapshot and a listing of the same state store the same object.
 */
function storedRaw(subscription: Stripe.Subscription): Stripe.Subscription {
  return { ...subscription, customer: idOf(subscription.customer)!, latest_invoice: idOf(subscription.latest_invoice) } as Stripe.Subscription;
}

type MetadataLink = NonNullable<ReturnType<typeof metadataLink>>;

/** A listed subscription as `prepareListing` keeps it for its write: none of Stripe's objects. */
export interface ListedSubscription {
  row: SubscriptionRow;
  /** Its merchant and application (the application named in its metadata first). */
  scope: { merchantId: string | null; applicationId: string | null };
  stored: CanonicalRaw;
  /** Its expanded latest invoice, when it has one. */
  invoice: InvoiceRow | null;
  /** Whether the listing shows its customer deleted. */
  customerDeleted: boolean;
  link: MetadataLink | null;
}
