// Checks JSON answers against the `stripe` package's own TypeScript types (generated from
// Stripe's OpenAPI for the API version the SDK pins). Every answer becomes a typed declaration
// (`const s0: Stripe.Subscription = {…};`) in one in-memory TypeScript file, compiled with the
// SDK's declarations from node_modules. The type checker then gives, field by field: unknown
// fields, missing required fields and values of the wrong type, nullability or enum value.
//
// Why a walk over the literals and not only the compiler's diagnostics: the compiler names only
// the first unknown field of an object and at most four of its missing fields, and reports a
// missing field of an object only once everything below it is right. The walk finds every
// difference at once, each with its path and a stable key (`missing Invoice.foo`) that a list
// of accepted differences can name. The compiler's diagnostics remain a safety net: one the walk
// cannot account for is reported as it is.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface Sample {
  /** Where the answer came from, e.g. `POST /v1/subscriptions` or `webhook invoice.paid`. */
  label: string;
  /** The SDK type it must have, written against the default import: `Stripe.Subscription`. */
  type: string;
  /** The answer as JSON (what went over the wire). */
  value: unknown;
}

export interface Finding {
  /** `missing` / `extra` field, `type` of a value, `unknown-type` (no such SDK type), `tsc` (a compiler diagnostic). */
  kind: 'missing' | 'extra' | 'type' | 'unknown-type' | 'tsc';
  /** What an accepted difference names: `missing Checkout.Session.phone_number_collection`. */
  key: string;
  /** The label of the answer it was found in. */
  where: string;
  /** The path inside the answer, and what differs there. */
  message: string;
}

/** Never written to disk: the compiler host serves it from memory. It sits beside this file so that
 * `stripe` resolves from the package's node_modules (or the workspace root's) wherever it is installed. */
const VIRTUAL_FILE = join(dirname(fileURLToPath(import.meta.url)), '__shapes__.ts');

/** Two of the SDK's declarations are read differently here; each is replaced where it is declared. */
const PATCHES: { file: RegExp; from: RegExp; to: string }[] = [
  // Stripe sends decimal fields (`unit_amount_decimal`, `quantity_decimal`, …) as JSON strings. The
  // SDK's typed methods turn them into its `Decimal` class and type them so, but events and webhook
  // payloads are not converted. This check is about the wire, so `Decimal` is read as `string`.
  { file: /[\\/]stripe[\\/]esm[\\/]Decimal\.d\.ts$/, from: /export type Decimal = DecimalImpl & \{[^}]*\};/, to: 'export type Decimal = string;' },
  // The SDK leaves most enums open (`'active' | 'canceled' | … | OtherString`) so that integrations
  // expect values added later. The emulator must send only the values of its API version: closed.
  { file: /[\\/]stripe[\\/]esm[\\/]shared\.d\.ts$/, from: /export type OtherString = string & Record<never, never>;/, to: 'export type OtherString = never;' },
];

function patch(fileName: string, text: string): string {
  for (const p of PATCHES) {
    if (!p.file.test(fileName)) continue;
    const patched = text.replace(p.from, p.to);
    // A newer SDK may declare it otherwise: fail loudly rather than check against the unpatched type.
    if (patched === text) throw new Error(`shape-check: ${fileName} no longer declares ${p.from}; update PATCHES`);
    return patched;
  }
  return text;
}

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: ts.ScriptTarget.ES2023,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts'],
  types: [],
};

const isPrimitiveLiteral = (n: ts.Expression) =>
  ts.isStringLiteral(n) || ts.isNumericLiteral(n) || ts.isPrefixUnaryExpression(n) || n.kind === ts.SyntaxKind.TrueKeyword || n.kind === ts.SyntaxKind.FalseKeyword || n.kind === ts.SyntaxKind.NullKeyword;

export function checkShapes(samples: Sample[]): Finding[] {
  const source =
    `import type Stripe from 'stripe';\n` + samples.map((s, i) => `const s${i}: ${s.type} = ${JSON.stringify(s.value, null, 1)};\n`).join('') + 'export {};\n';

  const host = ts.createCompilerHost(OPTIONS, true);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = ((orig) => (f: string) => f === VIRTUAL_FILE || orig(f))(host.fileExists.bind(host));
  host.readFile = (f) => {
    if (f === VIRTUAL_FILE) return source;
    const text = readFile(f);
    return text === undefined ? undefined : patch(f, text);
  };
  host.getSourceFile = (f, lang, onError, create) => {
    if (f === VIRTUAL_FILE) return ts.createSourceFile(f, source, lang, true);
    if (PATCHES.some((p) => p.file.test(f))) return ts.createSourceFile(f, host.readFile(f)!, lang, true);
    return getSourceFile(f, lang, onError, create);
  };

  const program = ts.createProgram([VIRTUAL_FILE], OPTIONS, host);
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(VIRTUAL_FILE)!;
  const findings: Finding[] = [];
  /** sample index → paths (inside the answer) of the walk's findings, to account for compiler diagnostics. */
  const walked = new Map<number, string[]>();

  /** The SDK's name of a type, as in `Stripe.Checkout.Session` without `Stripe.`: `Checkout.Session`, `Subscription.PauseCollection`. */
  const typeName = (t: ts.Type): string => {
    if (t.aliasSymbol?.name === 'Partial' && t.aliasTypeArguments?.length === 1) return typeName(t.aliasTypeArguments[0]);
    const symbol = t.aliasSymbol ?? t.getSymbol();
    // `"…/stripe/esm/resources/Checkout/Sessions".Session`: the folder under resources/ is the SDK's namespace.
    const m = symbol && /^"[^"]*[\\/]resources[\\/](?:(\w+)[\\/])?\w+"\.(.+)$/.exec(checker.getFullyQualifiedName(symbol));
    return m ? (m[1] ? `${m[1]}.${m[2]}` : m[2]) : checker.typeToString(t);
  };
  const members = (t: ts.Type) => (t.isUnion() ? t.types : [t]);
  const isObjectLike = (t: ts.Type) => (t.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) !== 0 && !checker.isArrayType(t) && !checker.isTupleType(t);
  const isUnitLike = (t: ts.Type) =>
    members(t).every((m) => (m.flags & (ts.TypeFlags.Literal | ts.TypeFlags.BooleanLiteral | ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void)) !== 0);
  const propName = (p: ts.ObjectLiteralElementLike) => (p.name && (ts.isStringLiteral(p.name) || ts.isIdentifier(p.name)) ? p.name.text : '?');

  interface Ctx {
    /** Inside `previous_attributes`: Stripe lists only the changed keys of nested hashes, so nothing is required there. */
    partial: boolean;
  }

  function check(node: ts.Expression, target: ts.Type, path: string, site: string, ctx: Ctx, out: Omit<Finding, 'where'>[], at: string[]): void {
    if (target.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    const add = (f: Omit<Finding, 'where'>) => {
      out.push(f);
      at.push(path);
    };
    if (ts.isObjectLiteralExpression(node)) {
      let candidates = members(target).filter(isObjectLike);
      if (candidates.length === 0) {
        add({ kind: 'type', key: `type ${site}`, message: `${path || '(root)'}: an object where the SDK has ${checker.typeToString(target)}` });
        return;
      }
      // Tell the members of a union apart by the literal fields they fix (`object`, `type`, `deleted`);
      // when none fits, all stay candidates and the closest one shows where the answer differs.
      const fitting = candidates.filter((c) =>
        node.properties.every((p) => {
          if (!ts.isPropertyAssignment(p) || !isPrimitiveLiteral(p.initializer)) return true;
          const sym = checker.getPropertyOfType(c, propName(p));
          if (!sym) return true;
          const t = checker.getTypeOfSymbol(sym);
          return !isUnitLike(t) || checker.isTypeAssignableTo(checker.getTypeAtLocation(p.initializer), t);
        }),
      );
      if (fitting.length > 0) candidates = fitting;
      // Several left (an expanded `Customer` or a `DeletedCustomer`): the closest one decides.
      let best: { out: Omit<Finding, 'where'>[]; at: string[] } | undefined;
      for (const c of candidates) {
        const o: Omit<Finding, 'where'>[] = [];
        const a: string[] = [];
        checkObject(node, c, path, ctx, o, a);
        if (!best || o.length < best.out.length) best = { out: o, at: a };
        if (o.length === 0) break;
      }
      out.push(...best!.out);
      at.push(...best!.at);
      return;
    }
    if (ts.isArrayLiteralExpression(node)) {
      const arrays = members(target).filter((m) => checker.isArrayType(m));
      if (arrays.length === 0) {
        add({ kind: 'type', key: `type ${site}`, message: `${path || '(root)'}: an array where the SDK has ${checker.typeToString(target)}` });
        return;
      }
      const element = checker.getTypeArguments(arrays[0] as ts.TypeReference)[0];
      // Arrays are given whole, also in `previous_attributes`.
      node.elements.forEach((el, i) => check(el, element, `${path}[${i}]`, `${site}[]`, { ...ctx, partial: false }, out, at));
      return;
    }
    const value = checker.getTypeAtLocation(node);
    if (!checker.isTypeAssignableTo(value, target)) {
      add({ kind: 'type', key: `type ${site}`, message: `${path}: ${node.getText(file)} is not assignable to ${checker.typeToString(target, undefined, ts.TypeFormatFlags.InTypeAlias | ts.TypeFormatFlags.NoTruncation)}` });
    }
  }

  function checkObject(node: ts.ObjectLiteralExpression, target: ts.Type, path: string, ctx: Ctx, out: Omit<Finding, 'where'>[], at: string[]): void {
    const name = typeName(target);
    const index = checker.getIndexInfosOfType(target).find((i) => i.keyType.flags & ts.TypeFlags.String);
    const present = new Set<string>();
    for (const p of node.properties) {
      if (!ts.isPropertyAssignment(p)) continue;
      const key = propName(p);
      present.add(key);
      const sym = checker.getPropertyOfType(target, key);
      const sub = `${path}.${key}`;
      const nested = { ...ctx, partial: ctx.partial || key === 'previous_attributes' };
      if (sym) check(p.initializer, checker.getTypeOfSymbol(sym), sub, `${name}.${key}`, nested, out, at);
      else if (index) check(p.initializer, index.type, sub, `${name}[*]`, nested, out, at);
      else {
        out.push({ kind: 'extra', key: `extra ${name}.${key}`, message: `${sub}: not a field of ${name}` });
        at.push(sub);
      }
    }
    for (const sym of checker.getPropertiesOfType(target)) {
      if (sym.flags & ts.SymbolFlags.Optional || present.has(sym.name)) continue;
      // Not a difference, but the compiler reports it: its diagnostic is accounted for.
      if (ctx.partial) {
        at.push(`${path}.${sym.name}`);
        continue;
      }
      out.push({ kind: 'missing', key: `missing ${name}.${sym.name}`, message: `${path}.${sym.name}: required by ${name}, absent` });
      at.push(`${path}.${sym.name}`);
    }
  }

  file.statements.forEach((stmt) => {
    if (!ts.isVariableStatement(stmt)) return;
    const decl = stmt.declarationList.declarations[0];
    const sample = Number(decl.name.getText(file).slice(1));
    const { label } = samples[sample];
    const target = checker.getTypeFromTypeNode(decl.type!);
    const out: Omit<Finding, 'where'>[] = [];
    const at: string[] = [];
    if (target.flags & ts.TypeFlags.Any) {
      out.push({ kind: 'unknown-type', key: `unknown-type ${samples[sample].type}`, message: `the SDK has no type ${samples[sample].type}` });
      at.push('');
    } else {
      check(decl.initializer!, target, '', typeName(target), { partial: false }, out, at);
    }
    walked.set(sample, at);
    out.forEach((f) => findings.push({ ...f, where: label }));
  });

  // The safety net: a compiler diagnostic with no finding of the walk at its place or below it.
  const diagnostics = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
  for (const d of diagnostics) {
    const { sample, path } = locate(file, d.start ?? 0);
    const paths = sample === undefined ? undefined : walked.get(sample);
    if (paths?.some((p) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`))) continue;
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    findings.push({
      kind: 'tsc',
      key: `tsc ${message}`,
      where: sample === undefined ? '(generated file)' : samples[sample].label,
      message: `${path || '(root)'}: TS${d.code} ${message}`,
    });
  }
  return findings;
}

/** The sample and the path inside it of the innermost node at `pos` of the generated file. */
function locate(file: ts.SourceFile, pos: number): { sample?: number; path: string } {
  let node: ts.Node = file;
  for (;;) {
    const child: ts.Node | undefined = node.getChildren(file).find((c) => c.getStart(file) <= pos && pos < c.getEnd());
    if (!child) break;
    node = child;
  }
  const parts: string[] = [];
  for (let n: ts.Node | undefined = node; n; n = n.parent) {
    if (ts.isPropertyAssignment(n)) parts.unshift(`.${ts.isStringLiteral(n.name) || ts.isIdentifier(n.name) ? n.name.text : '?'}`);
    else if (n.parent && ts.isArrayLiteralExpression(n.parent)) parts.unshift(`[${n.parent.elements.indexOf(n as ts.Expression)}]`);
    if (ts.isVariableDeclaration(n)) return { sample: Number(n.name.getText(file).slice(1)), path: parts.join('') };
  }
  return { path: parts.join('') };
}
