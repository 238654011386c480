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
  /** A `created` range [from, to) (unix seconds): with objects in `created` order, only that span of positions is walked. */
  created?: { from: number; to: number };
}

export class Collection<T extends Identified> {
  private readonly items: (T | undefined)[] = [];
  private readonly positions = new Map<string, number>();
  /** Each position's `created` (kept when the object is deleted), for `page`'s range search. */
  private readonly created: number[] = [];
  /** Whether every object has a numeric `created`, none older than the one before (so that `created` can be searched by halving). */
  private createdInOrder = true;
  private live = 0;

  constructor(readonly kind: string) {}

  get size(): number {
    return this.live;
  }

  add(item: T): T {
    this.positions.set(item.id, this.items.length);
    const created = (item as { created?: unknown }).created;
    if (typeof created !== 'number' || (this.created.length > 0 && created < this.created[this.created.length - 1]!)) this.createdInOrder = false;
    this.created.push(typeof created === 'number' ? created : 0);
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

  /** Back-dates an object's `created` (bulk seeding spreads it over a span, as a real account's history is); `page` stays right if that breaks the order. */
  backdate(id: string, created: number): void {
    const pos = this.cursor(id, 'id');
    (this.items[pos] as { created?: number }).created = created;
    this.created[pos] = created;
    if ((pos > 0 && this.created[pos - 1]! > created) || (pos + 1 < this.created.length && this.created[pos + 1]! < created)) this.createdInOrder = false;
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
    // The positions that can hold objects of the `created` range (the filter still checks each one).
    const [lo, hi] = req.created && this.createdInOrder ? [this.firstCreatedAtLeast(req.created.from), this.firstCreatedAtLeast(req.created.to)] : [0, this.items.length];
    if (req.ending_before !== undefined) {
      // Walk towards newer objects, then present them newest first.
      const pos = this.cursor(req.ending_before, 'ending_before');
      let i = Math.max(pos + 1, lo);
      for (; i < hi && out.length <= req.limit; i++) {
        const item = this.items[i];
        if (accept(item)) out.push(item);
      }
      const has_more = out.length > req.limit;
      if (has_more) out.pop();
      return { data: out.reverse(), has_more };
    }
    const start = Math.min(req.starting_after !== undefined ? this.cursor(req.starting_after, 'starting_after') - 1 : this.items.length - 1, hi - 1);
    for (let i = start; i >= lo && out.length <= req.limit; i--) {
      const item = this.items[i];
      if (accept(item)) out.push(item);
    }
    const has_more = out.length > req.limit;
    if (has_more) out.pop();
    return { data: out, has_more };
  }

  /** The first position whose `created` is at least `t` (the length when none is): a binary search, objects being in `created` order. */
  private firstCreatedAtLeast(t: number): number {
    let lo = 0;
    let hi = this.created.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.created[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private cursor(id: string, param: string): number {
    const pos = this.positions.get(id);
    if (pos === undefined) throw errors.notFound(this.kind, id, param);
    return pos;
  }
}
