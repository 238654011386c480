// Stripe list responses: `limit` 1..100 (default 10), `starting_after`, `ending_before`, `has_more`.
import type Stripe from 'stripe';
import type { Collection, Identified } from '../store/collection.js';
import { errors } from './errors.js';
import type { Params } from './params.js';

export type List<T> = Stripe.ApiList<T>;

export function listOf<T>(data: T[], url: string, has_more = false): List<T> {
  return { object: 'list', data, has_more, url };
}

function cursor(p: Params): { limit: number; starting_after?: string; ending_before?: string } {
  const limit = p.int('limit') ?? 10;
  if (limit < 1 || limit > 100) {
    throw errors.invalid(`This value must be between 1 and 100 (it currently is ${limit}).`, 'limit', 'parameter_invalid_integer');
  }
  const starting_after = p.str('starting_after') || undefined;
  const ending_before = p.str('ending_before') || undefined;
  if (starting_after && ending_before) {
    throw errors.invalid('You may only specify one of these parameters: ending_before, starting_after.', 'ending_before');
  }
  return { limit, starting_after, ending_before };
}

/** A page of a list held in its own order (an invoice's lines, a session's line items), by `limit` and an id cursor. */
export function pageOfArray<T extends { id: string }>(data: T[], p: Params, url: string): List<T> {
  const { limit, starting_after, ending_before } = cursor(p);
  const at = (id: string, param: string): number => {
    const i = data.findIndex((d) => d.id === id);
    if (i < 0) throw errors.invalid(`Invalid ${param}: no such object ${id} in this list.`, param);
    return i;
  };
  if (ending_before) {
    const end = at(ending_before, 'ending_before');
    const start = Math.max(0, end - limit);
    return listOf(data.slice(start, end), url, start > 0);
  }
  const start = starting_after ? at(starting_after, 'starting_after') + 1 : 0;
  return listOf(data.slice(start, start + limit), url, start + limit < data.length);
}

export function pageOf<T extends Identified>(
  collection: Collection<T>,
  p: Params,
  url: string,
  filter?: (item: T) => boolean,
): List<T> {
  const { limit, starting_after, ending_before } = cursor(p);
  const created = createdRange(p);
  const page = collection.page({ limit, starting_after, ending_before, ...(created ? { created } : {}) }, filter);
  return listOf(page.data, url, page.has_more);
}

/** `created=…` or `created[gte]=…` style filters as the range [from, to) of unix seconds they let through. */
export function createdRange(p: Params): { from: number; to: number } | undefined {
  // An object (`created[gte]=…`) or a plain integer (`created=…`); reading one as the other is a 400.
  const created = p.value('created');
  const range = created !== null && typeof created === 'object' ? p.obj('created') : undefined;
  if (!range) {
    const exact = p.int('created');
    return exact === undefined ? undefined : { from: exact, to: exact + 1 };
  }
  const gt = range.int('gt');
  const gte = range.int('gte');
  const lt = range.int('lt');
  const lte = range.int('lte');
  return {
    from: Math.max(gt === undefined ? -Infinity : gt + 1, gte ?? -Infinity),
    to: Math.min(lt ?? Infinity, lte === undefined ? Infinity : lte + 1),
  };
}

/** `created[gte]=…` style range filters. */
export function createdFilter(p: Params): ((created: number) => boolean) | undefined {
  const range = createdRange(p);
  return range && ((c) => c >= range.from && c < range.to);
}
