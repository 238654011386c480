// Helpers shared by resource handlers: `*.updated` events with previous attributes, deleted stubs.
import type Stripe from 'stripe';
import { previousAttributes, snapshot } from '../billing/diff.js';
import type { Emulator } from '../emulator.js';
import type { Params } from '../http/params.js';
import type { Scope } from '../store/scope.js';

/** Applies `mutate` and publishes `<type>.updated` with what changed (nothing changed, no event). */
export function updateWithEvent<T extends object>(emu: Emulator, scope: Scope, eventType: string, obj: T, mutate: () => void): T {
  const before = snapshot(obj);
  mutate();
  const diff = previousAttributes(before, obj);
  if (diff) emu.events.publish(scope, eventType, obj, diff);
  return obj;
}

export function deletedStub<O extends string>(id: string, object: O): { id: string; object: O; deleted: true } {
  return { id, object, deleted: true };
}

export interface StripeAddress {
  city: string | null;
  country: string | null;
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  state: string | null;
}

export function addressParam(p: Params | undefined, current: StripeAddress | null = null): StripeAddress | null {
  if (!p) return current;
  const base = current ?? { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
  const pick = (k: keyof StripeAddress): string | null => (p.has(k) ? p.str(k) || null : base[k]);
  return { city: pick('city'), country: pick('country'), line1: pick('line1'), line2: pick('line2'), postal_code: pick('postal_code'), state: pick('state') };
}

/** `shipping[name|phone|carrier|tracking_number|address[…]]` of a PaymentIntent (kept and shown, as Stripe does). */
export function shippingParam(p: Params | undefined): Stripe.PaymentIntent.Shipping | null {
  if (!p) return null;
  return {
    address: addressParam(p.obj('address')) ?? { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
    carrier: p.str('carrier') || null,
    name: p.reqStr('name'),
    phone: p.str('phone') || null,
    tracking_number: p.str('tracking_number') || null,
  } as Stripe.PaymentIntent.Shipping;
}

/** A nullable string parameter: absent keeps `current`, empty string clears it. */
export function nullableStr(p: Params, key: string, current: string | null): string | null {
  if (!p.has(key)) return current;
  return p.str(key) || null;
}
