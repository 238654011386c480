// `data.previous_attributes` of an `*.updated` event: the old value of every field that changed.
// Like Stripe, nested hashes (metadata, pause_collection…) list only their changed keys, while
// arrays and lists (`items`) are given whole.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isHash(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { object?: unknown }).object !== 'list';
}

export function previousAttributes(before: object, after: object): Record<string, Json> | undefined {
  const diff: Record<string, Json> = {};
  const b = before as Record<string, Json>;
  const a = after as Record<string, Json>;
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    const old = b[key];
    const now = a[key];
    if (JSON.stringify(old) === JSON.stringify(now)) continue;
    if (isHash(old) && isHash(now)) {
      diff[key] = previousAttributes(old, now) ?? {};
      // A key that did not exist before is reported with an empty string, as Stripe does for metadata.
      for (const k of Object.keys(now)) if (!(k in old)) (diff[key] as Record<string, Json>)[k] = '';
    } else {
      diff[key] = old === undefined ? null : structuredClone(old);
    }
  }
  return Object.keys(diff).length > 0 ? diff : undefined;
}

/** Snapshot for a later diff. */
export function snapshot<T>(value: T): T {
  return structuredClone(value);
}
