// Stripe refuses a parameter it does not know (`400 parameter_unknown`, `param` the full bracketed
// path, e.g. `items[0][pricee]`), at any depth. The emulator does the same, before any handler, so
// that a typo or an unsupported option in a caller's Stripe call fails here as it would in
// production. The known parameters come from the `stripe` SDK's request types
// (known-params.generated.ts, made by scripts/known-params.mjs); the check is a walk of the
// decoded parameters against that precomputed tree, cheap enough for every request.
import { errors } from './errors.js';
import type { FormValue } from './form.js';
import { KNOWN_PARAMS, type ParamTree } from './known-params.generated.js';

export type { ParamTree };

function walk(tree: ParamTree, value: FormValue, name: string): void {
  if (tree === 1 || typeof value === 'string') return;
  // An array's elements each have the array's element type (`items[0][price]`, `expand[0]`).
  if (Array.isArray(value)) {
    value.forEach((v, i) => walk(tree, v, `${name}[${i}]`));
    return;
  }
  for (const key of Object.keys(value)) {
    const child = tree[key] ?? tree['*'];
    const param = name ? `${name}[${key}]` : key;
    if (child === undefined) throw errors.unknownParam(param);
    walk(child, value[key], param);
  }
}

/** The known-parameter tree of a route (`POST /v1/customers/:id`), undefined for one the SDK does not know. */
export function knownParams(method: string, pattern: string): ParamTree | undefined {
  return KNOWN_PARAMS[`${method} ${pattern}`];
}

/** Throws Stripe's `parameter_unknown` for the first parameter of `form` the route does not know. */
export function checkKnownParams(method: string, pattern: string, form: FormValue): void {
  const tree = knownParams(method, pattern);
  if (tree !== undefined) walk(tree, form, '');
}
