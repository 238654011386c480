// `expand[]=customer`, `expand[]=data.latest_invoice`, `expand[]=items.data.price.product`:
// replaces id strings along each path by the object they name, in a copy of the response.
// Some fields exist only when expanded (checkout `line_items`); resources register those.
import type { Scope } from '../store/scope.js';
import { errors } from './errors.js';

export type Virtual = (owner: Record<string, unknown>, scope: Scope) => unknown;

/** object type → field → producer, for fields Stripe includes only on request. */
const virtuals = new Map<string, Map<string, Virtual>>();

export function registerExpandable(objectType: string, field: string, produce: Virtual): void {
  const fields = virtuals.get(objectType) ?? new Map<string, Virtual>();
  fields.set(field, produce);
  virtuals.set(objectType, fields);
}

const MAX_DEPTH = 4;

export function expand(value: unknown, paths: string[], scope: Scope): unknown {
  if (paths.length === 0) return value;
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.filter((s) => s !== 'data').length > MAX_DEPTH) {
      throw errors.invalid(`You cannot expand more than ${MAX_DEPTH} levels of a property. Property: ${path}`, 'expand');
    }
    walk(copy, segments, scope, path);
  }
  return copy;
}

function walk(node: unknown, segments: string[], scope: Scope, path: string): void {
  if (segments.length === 0 || node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) walk(item, segments, scope, path);
    return;
  }
  const obj = node as Record<string, unknown>;
  const [field, ...rest] = segments;
  let value = obj[field];
  if (value === undefined) {
    const virtual = virtuals.get(String(obj.object))?.get(field);
    if (!virtual) throw errors.invalid(`This property cannot be expanded (${path}).`, 'expand');
    value = obj[field] = structuredClone(virtual(obj, scope));
  } else if (typeof value === 'string') {
    const found = scope.lookup(value);
    if (found) value = obj[field] = structuredClone(found);
  } else if (Array.isArray(value)) {
    // Lists of ids (`discounts`): each id by its object.
    value = obj[field] = value.map((v) => (typeof v === 'string' ? (structuredClone(scope.lookup(v)) ?? v) : v));
  }
  walk(value, rest, scope, path);
}
