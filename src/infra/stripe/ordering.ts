/**
 * The ordering rule of the mirror (docs/webhooks.md), in one place: every mirrored Stripe object
 * carries `stripe_version`, the Stripe time (unix seconds) of the state stored, and a write only
 * replaces an older state. `newer` writes only over an older version (an event's snapshot);
 * `at-least` also over the same version (an object just fetched from Stripe, the truth at that
 * moment, wins over a snapshot of the same second).
 */
export type VersionMode = 'newer' | 'at-least';

/** The SQL comparison `stored_version <op> new_version` that lets a write of `mode` in. */
export const versionGuard = (mode: VersionMode): '<' | '<=' => (mode === 'newer' ? '<' : '<=');
