import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { CatalogMirrorRepository } from '../../entitlements/catalog-mirror.repository.js';
import type { EventContext, EventHandler } from './event-handler.js';

/** product.* and price.*: the catalog mirror, newest version wins. */
@Injectable()
export class CatalogEventsHandler implements EventHandler {
  readonly types = ['product.created', 'product.updated', 'product.deleted', 'price.created', 'price.updated', 'price.deleted'] as const;

  constructor(private readonly catalog: CatalogMirrorRepository) {}

  async handle({ event, em, scope }: EventContext): Promise<void> {
    // A deleted event is final: it wins over a same-second update of the same object.
    const mode = event.type.endsWith('.deleted') ? 'at-least' : 'newer';
    const object = event.data.object as unknown as Stripe.Product | Stripe.Price;
    const deleted = event.type.endsWith('.deleted') ? { ...object, deleted: true as const } : object;
    if (event.type.startsWith('product.')) await this.catalog.upsertProduct(em, deleted as Stripe.Product, scope.stripeAccount, event.created, mode);
    else await this.catalog.upsertPrice(em, deleted as Stripe.Price, scope.stripeAccount, event.created, mode);
  }
}
