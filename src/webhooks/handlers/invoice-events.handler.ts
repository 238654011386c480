import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { SubscriptionSyncService } from '../../subscriptions/subscription-sync.service.js';
import type { EventContext, EventHandler } from './event-handler.js';

/**
 * invoice.*: the invoice is mirrored and its subscription's access recomputed, so invoice.paid
 * extends access to the period it paid for and invoice.payment_failed starts the past_due grace.
 * Invoices that belong to no subscription are not this service's business.
 */
@Injectable()
export class InvoiceEventsHandler implements EventHandler {
  readonly types = [
    'invoice.created',
    'invoice.finalized',
    'invoice.updated',
    'invoice.paid',
    'invoice.payment_succeeded',
    'invoice.payment_failed',
    'invoice.payment_action_required',
    'invoice.voided',
    'invoice.marked_uncollectible',
  ] as const;

  constructor(private readonly sync: SubscriptionSyncService) {}

  readonly batchPhase = 1;

  async handle({ event, em, scope, customerLocked }: EventContext): Promise<void> {
    const invoice = event.data.object as Stripe.Invoice;
    if (!invoice.parent?.subscription_details?.subscription) return;
    await this.sync.applyInvoiceEvent(em, invoice, scope, event.created, { customerLocked });
  }

  handleBatch(em: EntityManager, events: EventContext[]): Promise<Set<string>> {
    const ofSubscriptions = events.filter(({ event }) => (event.data.object as Stripe.Invoice).parent?.subscription_details?.subscription);
    return this.sync.applyInvoiceEvents(em, ofSubscriptions.map(({ event, scope }) => ({ key: event.id, snapshot: event.data.object as Stripe.Invoice, scope, created: event.created })));
  }
}
