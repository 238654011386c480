import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { CatalogMirrorRepository } from '../../entitlements/catalog-mirror.repository.js';
import { AppError } from '../../infra/errors/app-error.js';
import { StripeGateway } from '../../infra/stripe/stripe.gateway.js';
import type { EventContext, EventHandler } from './event-handler.js';
import type { VersionMode } from '../../infra/stripe/ordering.js';

/**
 * product.* and price.*: the catalog mirror, newest version wins. An update of the same second as
 * the stored version is ambiguous (which came last?), so the object is fetched from Stripe and that
 * truth written, as for subscriptions. Workers apply these under the product's lock.
 */
@Injectable()
export class CatalogEventsHandler implements EventHandler {
  readonly types = ['product.created', 'product.updated', 'product.deleted', 'price.created', 'price.updated', 'price.deleted'] as const;

  constructor(
    private readonly catalog: CatalogMirrorRepository,
    private readonly gateway: StripeGateway,
  ) {}

  async handle({ event, em, scope }: EventContext): Promise<void> {
    const isProduct = event.type.startsWith('product.');
    const object = event.data.object as unknown as Stripe.Product | Stripe.Price;
    const write = (value: Stripe.Product | Stripe.Price | { id: string; deleted: true }, mode: VersionMode) =>
      isProduct
        ? this.catalog.upsertProduct(em, value as Stripe.Product, scope.stripeAccount, event.created, mode)
        : this.catalog.upsertPrice(em, value as Stripe.Price, scope.stripeAccount, event.created, mode);
    // A deleted event is final: it wins over a same-second update of the same object.
    if (event.type.endsWith('.deleted')) {
      await write({ ...object, deleted: true as const }, 'at-least');
      return;
    }
    if (await write(object, 'newer')) return;
    if ((await this.catalog.storedVersion(em, isProduct ? 'products' : 'prices', object.id)) !== event.created) return;
    await write(await this.fetch(isProduct, object.id, scope.stripeAccount), 'at-least');
  }

  /** The object as Stripe holds it now; one Stripe no longer has is deleted. */
  private async fetch(isProduct: boolean, id: string, stripeAccount: string): Promise<Stripe.Product | Stripe.Price | { id: string; deleted: true }> {
    const options = this.gateway.accountOptions(stripeAccount);
    try {
      return isProduct
        ? await this.gateway.call('products.retrieve', (s) => s.products.retrieve(id, {}, options))
        : await this.gateway.call('prices.retrieve', (s) => s.prices.retrieve(id, {}, options));
    } catch (error) {
      if (error instanceof AppError && error.code === 'stripe_resource_missing') return { id, deleted: true };
      throw error;
    }
  }
}
