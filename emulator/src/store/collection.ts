// One resource type within one Stripe account. Objects are kept in creation order with an
// id → position map, so a page of a list costs O(page size) whatever the collection size:
// `starting_after` jumps straight to its position and walks towards older objects.
// Deleted objects leave a hole (undefined) so positions never shift.
import { errors } from '../http/errors.js';

export interface Identified {
  id: string;
}

export interface Page<T> {
  data: T[];
  has_more: boolean;
}

export interface PageRequest {
  limit: number;
  starting_after?: string;
  ending_before?: string;
}

export class Collection<T extends Identified> {
  private readonly items: (T | undefined)[] = [];
  private readonly positions = new Map<string, number>();
  private live = 0;

  constructor(readonly kind: string) {}

  get size(): number {
    return this.live;
  }

  add(item: T): T {
    this.positions.set(item.id, this.items.length);
    this.items.push(item);
    this.live++;
    return item;
  }

  get(id: string): T | undefined {
    const pos = this.positions.get(id);
    return pos === undefined ? undefined : this.items[pos];
  }

  /** Like get, but answers Stripe's 404 for an unknown id. */
  require(id: string, param = 'id'): T {
    const item = this.get(id);
    if (!item) throw errors.notFound(this.kind, id, param);
    return item;
  }

  remove(id: string): void {
    const pos = this.positions.get(id);
    if (pos === undefined || !this.items[pos]) return;
    this.items[pos] = undefined;
    this.live--;
  }

  /** True for an id that existed and was deleted (Stripe then answers a `deleted: true` stub). */
  wasDeleted(id: string): boolean {
    const pos = this.positions.get(id);
    return pos !== undefined && this.items[pos] === undefined;
  }

  *values(): IterableIterator<T> {
    for (const item of this.items) if (item) yield item;
  }

  find(predicate: (item: T) => boolean): T | undefined {
    for (const item of this.items) if (item && predicate(item)) return item;
    return undefined;
  }

  /** Newest first, as Stripe lists. */
  page(req: PageRequest, filter?: (item: T) => boolean): Page<T> {
    const accept = (item: T | undefined): item is T => item !== undefined && (!filter || filter(item));
    const out: T[] = [];
    if (req.ending_before !== undefined) {
      // Walk towards newer objects, then present them newest first.
      const pos = this.cursor(req.ending_before, 'ending_before');
      let i = pos + 1;
      for (; i < this.items.length && out.length <= req.limit; i++) {
        const item = this.items[i];
        if (accept(item)) out.push(item);
      }
      const has_more = out.length > req.limit;
      if (has_more) out.pop();
      return { data: out.reverse(), has_more };
    }
    const start = req.starting_after !== undefined ? this.cursor(req.starting_after, 'starting_after') - 1 : this.items.length - 1;
    for (let i = start; i >= 0 && out.length <= req.limit; i--) {
      const item = this.items[i];
      if (accept(item)) out.push(item);
    }
    const has_more = out.length > req.limit;
    if (has_more) out.pop();
    return { data: out, has_more };
  }

  private cursor(id: string, param: string): number {
    const pos = this.positions.get(id);
    if (pos === undefined) throw errors.notFound(this.kind, id, param);
    return pos;
  }
}
