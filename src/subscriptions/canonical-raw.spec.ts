import { createHash } from 'node:crypto';
import { canonicalRaw } from './subscription-mirror.repository.js';

/**
 * A subscription's stored `raw_hash` is the SHA-1 of its canonical JSON: the text JSON.stringify
 * gives with every object's keys sorted. Stored hashes are compared with new ones on every
 * reconcile, so the text must never change: it is held here to that definition, written the plain
 * way (a sorted copy, stringified), over the shapes Stripe objects take.
 */
describe('canonicalRaw', () => {
  /** The definition: a copy with every object's keys inserted in sorted order (index keys come first in numeric order, as JS objects keep them). */
  const sortedCopy = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return sortedCopy((v as { toJSON: () => unknown }).toJSON());
    if (Array.isArray(v)) return v.map(sortedCopy);
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedCopy((v as Record<string, unknown>)[k])]));
  };
  const reference = (v: unknown) => JSON.stringify(sortedCopy(v)) ?? 'null';

  const subscription = {
    id: 'sub_1Qx',
    object: 'subscription',
    application: null,
    billing_cycle_anchor: 1_700_000_000,
    cancel_at_period_end: false,
    customer: { id: 'cus_1', object: 'customer', email: '経理@example.jp', metadata: { company_id: '100001', 'b-key': 'x', a_key: 'y', '10': 'ten', '2': 'two' } },
    items: { object: 'list', data: [{ id: 'si_1', price: { id: 'price_1', unit_amount: 3000, recurring: { interval: 'month', interval_count: 1 }, tiers: null }, quantity: 3 }], has_more: false },
    latest_invoice: { id: 'in_1', total: 0.5, lines: { data: [] }, status_transitions: { paid_at: null } },
    metadata: {},
    discount: undefined,
    created: new Date(Date.UTC(2026, 10, 30)),
    note: 'quote " backslash \\ newline \n tab \t nul \u0000 lone \ud800 pair 😀',
    numbers: [0, -1, 1e21, 1.5e-7, Number.NaN, Number.POSITIVE_INFINITY, undefined, () => 1],
    nested: [[{ z: 1, a: [{ c: 3, b: 2 }] }]],
  };

  it.each([
    ['a Stripe-like subscription', subscription],
    ['an empty object', {}],
    ['an empty array', []],
    ['a string', 'text "quoted"'],
    ['null', null],
    ['a number', 42],
  ])('%s: the text of the sorted copy, and its SHA-1', (_, value) => {
    const { text, hash } = canonicalRaw(value);
    expect(text).toBe(reference(value));
    expect(hash).toBe(createHash('sha1').update(reference(value)).digest('hex'));
  });

  it('does not depend on the order the keys arrived in', () => {
    const reversed = JSON.parse(JSON.stringify(subscription), (_key, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
    ) as unknown;
    expect(canonicalRaw(reversed).text).toBe(canonicalRaw(JSON.parse(JSON.stringify(subscription))).text);
  });
});
