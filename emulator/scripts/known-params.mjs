// Derives, from the installed `stripe` SDK, the parameters Stripe knows for each endpoint the
// emulator implements, and writes them to src/http/known-params.generated.ts (committed). The
// server refuses any other parameter with Stripe's `parameter_unknown` (http/strict-params.ts).
//
// Why from the SDK and not a hand-kept list: the SDK's request types (`CustomerCreateParams`, …)
// are generated from Stripe's OpenAPI for the API version it pins, so the table follows the SDK on
// every upgrade; test/strict-params.spec.ts fails when the committed table differs from what this
// script makes of the installed SDK.
//
// How: each resource's .js says which HTTP method and path a method calls (`this._makeRequest('POST',
// `/v1/customers/${…}`)`), its .d.ts gives the type of that method's `params`; the compiler's type
// checker turns the type into a tree of property names (arrays stand for their elements, index
// signatures such as `metadata`'s become `*`, scalars become 1).
//
// Run: `npm run -s generate:known-params -w @billing/stripe-emulator` (plain JS so it needs no build).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = join(here, '..');
export const OUTPUT = join(pkgRoot, 'src/http/known-params.generated.ts');

function stripeRoot() {
  // The package's exports hide package.json: resolve its entry point and walk up to the root.
  const require = createRequire(join(pkgRoot, 'package.json'));
  let dir = dirname(require.resolve('stripe'));
  while (!existsSync(join(dir, 'package.json')) || basename(dir) !== 'stripe') dir = dirname(dir);
  return dir;
}

function walkFiles(dir, ext) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walkFiles(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out.sort();
}

/** `/v1/customers/${encodeURIComponent(id)}` → `/v1/customers/:`; so is the emulator's `/v1/customers/:id`. */
export function normalizePath(path) {
  return path
    .split('/')
    .map((s) => (s.startsWith(':') ? ':' : s))
    .join('/');
}

/** From a resource's .js: method name → the (HTTP method, normalized path) pairs it calls. */
function requestsOf(jsFile) {
  const sf = ts.createSourceFile(jsFile, readFileSync(jsFile, 'utf8'), ts.ScriptTarget.Latest, true);
  const byMethod = new Map();
  const visitMethod = (name, node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === '_makeRequest') {
      const [m, p] = node.arguments;
      let path;
      if (ts.isStringLiteral(p) || ts.isNoSubstitutionTemplateLiteral(p)) path = p.text;
      else if (ts.isTemplateExpression(p)) path = p.head.text + p.templateSpans.map((s) => ':' + s.literal.text).join('');
      if (m && ts.isStringLiteral(m) && path) {
        const list = byMethod.get(name) ?? [];
        list.push({ method: m.text, path: normalizePath(path.replace(/\/:(?=\/|$)/g, '/:')) });
        byMethod.set(name, list);
      }
    }
    ts.forEachChild(node, (c) => visitMethod(name, c));
  };
  sf.forEachChild(function visit(node) {
    if (ts.isClassDeclaration(node)) {
      for (const member of node.members) if (ts.isMethodDeclaration(member) && member.name && ts.isIdentifier(member.name)) visitMethod(member.name.text, member);
    }
  });
  return byMethod;
}

const SCALAR = 1;

/** Unions merge key by key: `string | { … }` is the object (a string value has no keys to check). */
function merge(a, b) {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a === SCALAR) return b;
  if (b === SCALAR) return a;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
  return out;
}

function treeOf(checker, type, stack) {
  if (type.isUnion()) {
    let out;
    for (const t of type.types) {
      if (t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)) continue;
      out = merge(out, treeOf(checker, t, stack));
    }
    return out ?? SCALAR;
  }
  if (!(type.flags & ts.TypeFlags.Object) && !type.isIntersection()) return SCALAR;
  if (checker.isArrayType(type) || checker.isTupleType(type)) {
    const [el] = checker.getTypeArguments(type);
    return el ? treeOf(checker, el, stack) : SCALAR;
  }
  const props = checker.getPropertiesOfType(type);
  // A class such as the SDK's Decimal is a value, not a parameter object.
  if (props.some((p) => p.flags & ts.SymbolFlags.Method)) return SCALAR;
  // A recursive type (none today) is checked down to where it repeats, then accepted as it is.
  if (stack.includes(type) || stack.length > 16) return SCALAR;
  const next = [...stack, type];
  const node = {};
  for (const p of props.sort((x, y) => x.name.localeCompare(y.name))) node[p.name] = treeOf(checker, checker.getTypeOfSymbol(p), next);
  const index = checker.getIndexInfosOfType(type).find((i) => i.keyType.flags & ts.TypeFlags.String);
  if (index) node['*'] = treeOf(checker, index.type, next);
  return node;
}

/**
 * The known-parameter tree of every SDK endpoint, keyed `METHOD normalized-path`.
 * Several SDK methods calling one endpoint (overloads, aliases) have their trees merged.
 */
export function sdkParamTrees() {
  const root = stripeRoot();
  const resources = join(root, 'esm/resources');
  const dts = walkFiles(resources, '.d.ts');
  const program = ts.createProgram(dts, { strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2023, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [] });
  const checker = program.getTypeChecker();
  const trees = new Map();
  for (const file of dts) {
    const sf = program.getSourceFile(file);
    if (!sf) continue;
    const requests = requestsOf(file.replace(/\.d\.ts$/, '.js'));
    sf.forEachChild((node) => {
      if (!ts.isClassDeclaration(node)) return;
      for (const member of node.members) {
        if (!ts.isMethodDeclaration(member) || !member.name || !ts.isIdentifier(member.name)) continue;
        const calls = requests.get(member.name.text) ?? [];
        const param = member.parameters.find((p) => ts.isIdentifier(p.name) && p.name.text === 'params');
        const tree = param?.type ? treeOf(checker, checker.getTypeFromTypeNode(param.type), []) : {};
        for (const c of calls) {
          const key = `${c.method} ${c.path}`;
          trees.set(key, merge(trees.get(key), tree === SCALAR ? {} : tree));
        }
      }
    });
  }
  return { trees, version: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version };
}

/**
 * Endpoints Stripe has that the SDK does not expose, with the parameters the emulator knows for them:
 * the hosted checkout page's own API, which the Stripe CLI's checkout fixtures call.
 */
const OUTSIDE_SDK = {
  'GET /v1/payment_pages/:': { expand: SCALAR },
  'POST /v1/payment_pages/:/confirm': { expand: SCALAR, expected_amount: SCALAR, payment_method: SCALAR },
};

/** The emulator's API routes as its resource files register them (`r.add('POST', '/v1/…'`). */
export function emulatorRoutes() {
  const routes = [];
  for (const file of walkFiles(join(pkgRoot, 'src/resources'), '.ts')) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\br\.add\(\s*'([A-Z]+)',\s*'([^']+)'/g)) routes.push(`${m[1]} ${m[2]}`);
  }
  return [...new Set(routes)].sort();
}

/** The generated file's text for the given routes (`METHOD /v1/pattern/:id`). */
export function generate(routes = emulatorRoutes()) {
  const { trees, version } = sdkParamTrees();
  const table = {};
  const missing = [];
  for (const route of [...routes].sort()) {
    const [method, pattern] = route.split(' ');
    const key = `${method} ${normalizePath(pattern)}`;
    const tree = trees.get(key) ?? OUTSIDE_SDK[key];
    if (tree === undefined) missing.push(route);
    else table[route] = tree;
  }
  const text =
    `// GENERATED by emulator/scripts/known-params.mjs from stripe@${version}'s request types: do not edit.\n` +
    `// The parameters Stripe knows per endpoint the emulator implements (1 = a value, '*' = any key).\n` +
    `// Endpoints the SDK does not know: ${missing.length ? missing.join(', ') : 'none'}.\n` +
    `/** 1: a value (its content is the handler's to check); an object: its known keys, \`*\` standing for any key. */\n` +
    `export type ParamTree = 1 | { [key: string]: ParamTree };\n\n` +
    `export const KNOWN_PARAMS: Record<string, ParamTree> = ${JSON.stringify(table, null, 1)};\n`;
  return { text, missing };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { text, missing } = generate();
  writeFileSync(OUTPUT, text);
  console.log(`wrote ${relative(process.cwd(), OUTPUT)} (${text.length} bytes)${missing.length ? `; not in the SDK: ${missing.join(', ')}` : ''}`);
}
