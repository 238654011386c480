// Parameter strictness, before any handler runs. Two rules, one home:
//
// 1. Stripe refuses a parameter it does not know (`400 parameter_unknown`, `param` the full bracketed
//    path, e.g. `items[0][pricee]`), at any depth; so does the emulator, so that a typo in a caller's
//    Stripe call fails here as it would in production. The known parameters come from the `stripe`
//    SDK's request types (known-params.generated.ts, made by scripts/known-params.mjs).
// 2. A parameter Stripe knows but the route's handler does not model is refused too
//    (`400 parameter_not_modeled`): ignoring it would answer what Stripe would not (an
//    `automatic_tax[enabled]=true` that taxes nothing), and a test would pass that production fails.
//    Each route declares, next to its handler (`r.add(method, pattern, MODELED, handler)`), the
//    parameters the handler reads. The declared lists are derived from the handlers: with
//    STRIPE_EMULATOR_RECORD_READS=<dir> the check is off and every parameter a handler asks for is
//    recorded (http/params.ts `ReadLog`), and scripts/modeled-params.mjs writes the lists into the
//    sources; under Jest every request also checks that the handler asked for no leaf outside its
//    list, so a handler that starts reading a new parameter fails the tests until it is declared.
//
// Both checks are walks of the decoded parameters against precomputed trees, cheap enough for every request.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors, StripeApiError } from './errors.js';
import type { FormValue } from './form.js';
import { KNOWN_PARAMS, type ParamTree } from './known-params.generated.js';
import type { ReadLog } from './params.js';

export type { ParamTree };

const CLIENT_SECRET = 'Stripe needs it only with a publishable key (Stripe.js), which the emulator does not serve; with a secret key it changes nothing';

/**
 * Parameters accepted although no handler reads them (`* name`: on every route), each with why
 * ignoring it cannot make an answer differ from Stripe's. Everything else Stripe knows is either
 * read by the route's handler (declared) or refused.
 */
export const ACCEPTED_UNREAD: Record<string, string> = {
  '* expand': 'applied by the server on every route (http/expand.ts), not by the handlers',
  'GET /v1/payment_intents/:id client_secret': CLIENT_SECRET,
  'GET /v1/setup_intents/:id client_secret': CLIENT_SECRET,
  'POST /v1/payment_methods card[cvc]': 'no test card of the emulator fails its CVC check, so the CVC changes no outcome',
};

/** The parameters a route's handler models, as a tree like the known ones (1: the whole value). */
export type ModeledTree = { [key: string]: ModeledTree } | 1;

/** `items[][price]` → `['items', 'price']` (an array's elements share their array's node, as in the known tree). */
export function pathSegments(path: string): string[] {
  const open = path.indexOf('[');
  const head = open < 0 ? path : path.slice(0, open);
  const rest = open < 0 ? [] : [...path.slice(open).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]);
  return [head, ...rest].filter((s) => s !== '');
}

/** The paths ACCEPTED_UNREAD accepts on a route. */
function acceptedOn(route: string): string[] {
  return Object.keys(ACCEPTED_UNREAD).flatMap((k) => {
    const cut = k.lastIndexOf(' ');
    const on = k.slice(0, cut);
    return on === '*' || on === route ? [k.slice(cut + 1)] : [];
  });
}

/** The tree of a route's declared list (plus what ACCEPTED_UNREAD accepts there). A path with declared children checks them; one without is taken whole. */
export function modeledTree(route: string, declared: readonly string[]): ModeledTree {
  const root: { [key: string]: ModeledTree } = {};
  for (const path of [...declared, ...acceptedOn(route)]) {
    let node = root;
    for (const seg of pathSegments(path)) node = (node[seg] ??= {}) as { [key: string]: ModeledTree };
  }
  const seal = (n: { [key: string]: ModeledTree }): ModeledTree => {
    const keys = Object.keys(n);
    if (keys.length === 0) return 1;
    for (const k of keys) n[k] = seal(n[k] as { [key: string]: ModeledTree });
    return n;
  };
  return seal(root) === 1 ? {} : root;
}

/** The known-parameter tree of a route (`POST /v1/customers/:id`), undefined for one the SDK does not know. */
export function knownParams(method: string, pattern: string): ParamTree | undefined {
  return KNOWN_PARAMS[`${method} ${pattern}`];
}

function walkKnown(tree: ParamTree, value: FormValue, name: string): void {
  if (tree === 1 || typeof value === 'string') return;
  // An array's elements each have the array's element type (`items[0][price]`, `expand[0]`).
  if (Array.isArray(value)) {
    value.forEach((v, i) => walkKnown(tree, v, `${name}[${i}]`));
    return;
  }
  for (const key of Object.keys(value)) {
    const child = tree[key] ?? tree['*'];
    const param = name ? `${name}[${key}]` : key;
    if (child === undefined) throw errors.unknownParam(param);
    walkKnown(child, value[key], param);
  }
}

function walkModeled(method: string, pattern: string, tree: ModeledTree, value: FormValue, name: string): void {
  if (tree === 1 || typeof value === 'string') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => walkModeled(method, pattern, tree, v, `${name}[${i}]`));
    return;
  }
  for (const key of Object.keys(value)) {
    const child = tree[key] ?? tree['*'];
    const param = name ? `${name}[${key}]` : key;
    if (child === undefined) throw notModeled(method, pattern, param);
    walkModeled(method, pattern, child, value[key], param);
  }
}

/**
 * A parameter Stripe accepts that this route does not model. Stripe has no code for this (it models
 * everything it knows), so the code is the emulator's own, named after its `parameter_unknown`;
 * no `doc_url` since Stripe's error pages do not describe it.
 */
function notModeled(method: string, pattern: string, param: string): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    code: 'parameter_not_modeled',
    param,
    message: `The Stripe emulator does not model parameter ${param} of ${method} ${pattern} (Stripe accepts it), so it refuses it rather than ignore it; see the emulator's README ("Differences from Stripe").`,
  });
}

/** Where reads are recorded instead of checked (scripts/modeled-params.mjs), or undefined. */
const RECORD_DIR = process.env.STRIPE_EMULATOR_RECORD_READS || undefined;
/** Under Jest (and not recording), every request checks its handler's reads against its declared list. */
export const CHECK_READS = RECORD_DIR === undefined && process.env.JEST_WORKER_ID !== undefined;

/** Throws `parameter_unknown` for the first parameter the route does not know, then `parameter_not_modeled` for the first it does not model. */
export function checkParams(method: string, pattern: string, form: FormValue, modeled: ModeledTree): void {
  const known = knownParams(method, pattern);
  if (known !== undefined) walkKnown(known, form, '');
  if (RECORD_DIR === undefined) walkModeled(method, pattern, modeled, form, '');
}

/** A ReadLog for one request, when reads are recorded or checked; undefined (no cost) otherwise. */
export function readLog(): ReadLog | undefined {
  return RECORD_DIR !== undefined || CHECK_READS ? new Map() : undefined;
}

/** A read path as a template of the known tree (`currency_options[usd]` → `currency_options[*]`) with its known node, undefined when Stripe does not know it. */
function knownAt(known: ParamTree, path: string): { template: string; node: ParamTree } | undefined {
  let node: ParamTree = known;
  const out: string[] = [];
  for (const seg of pathSegments(path)) {
    if (node === 1) return undefined;
    const key = seg in node ? seg : '*' in node ? '*' : undefined;
    if (key === undefined) return undefined;
    out.push(key);
    node = node[key];
  }
  return { template: out.map((s, i) => (i === 0 ? s : `[${s}]`)).join(''), node };
}

export function knownTemplate(known: ParamTree, path: string): string | undefined {
  return knownAt(known, path)?.template;
}

function covered(tree: ModeledTree, template: string): boolean {
  let node = tree;
  for (const seg of pathSegments(template)) {
    if (node === 1) return true;
    const next: ModeledTree | undefined = node[seg] ?? node['*'];
    if (next === undefined) return false;
    node = next;
  }
  return true;
}

/** After the handler: records its reads (STRIPE_EMULATOR_RECORD_READS), or (under Jest) fails on a leaf it read but does not declare. */
export function settleReads(method: string, pattern: string, reads: ReadLog | undefined, modeled: ModeledTree): void {
  if (!reads) return;
  const known = knownParams(method, pattern);
  if (known === undefined) return;
  const leaves: string[] = [];
  for (const [path, kind] of reads) {
    const at = knownAt(known, path);
    // A scalar the handler only looked at (`has('email')`, then `str` when present) is read whole
    // all the same; a hash it only looked at is modeled through the keys it reads, if any.
    if (at && (kind === 'leaf' || at.node === 1)) leaves.push(at.template);
  }
  if (RECORD_DIR !== undefined) {
    if (leaves.length) appendFileSync(join(RECORD_DIR, `reads-${process.pid}.jsonl`), `${JSON.stringify({ route: `${method} ${pattern}`, leaves })}\n`);
    return;
  }
  const undeclared = leaves.filter((t) => !covered(modeled, t));
  if (undeclared.length) {
    throw new Error(
      `emulator bug: the handler of ${method} ${pattern} read ${undeclared.join(', ')}, not in its declared modeled parameters; ` +
        'add them to its r.add(…) list (or run scripts/modeled-params.mjs)',
    );
  }
}
