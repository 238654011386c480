// The package's own rules about its imports, checked on its sources: it is a product of its own
// (the billing service is one user of it), so it imports nothing from outside the package but
// Node's modules and the `stripe` SDK's types (it has no runtime dependency), and its modules
// form no import cycle (type-only imports included: a cycle of types is a cycle of design).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every import and export-from of a file: its specifier and whether it is type-only. */
function importsOf(file: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2023, false);
  const out: { specifier: string; typeOnly: boolean }[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const clause = statement.importClause;
      const namedTypes = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) && !clause.name && clause.namedBindings.elements.every((e) => e.isTypeOnly);
      out.push({ specifier: statement.moduleSpecifier.text, typeOnly: Boolean(clause?.isTypeOnly || namedTypes) });
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
      out.push({ specifier: statement.moduleSpecifier.text, typeOnly: statement.isTypeOnly });
    }
  }
  return out;
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const name = (f: string) => relative(SRC, f);

describe('the package boundaries', () => {
  it('imports only its own modules, node: built-ins and the types of stripe', () => {
    const outside: string[] = [];
    for (const [file, imports] of graph) {
      for (const { specifier, typeOnly } of imports) {
        if (specifier.startsWith('.')) {
          if (relative(SRC, resolve(dirname(file), specifier)).startsWith('..')) outside.push(`${name(file)}: ${specifier}`);
        } else if (specifier === 'stripe') {
          if (!typeOnly) outside.push(`${name(file)}: ${specifier} (a runtime import; only its types may be used)`);
        } else if (!specifier.startsWith('node:')) {
          outside.push(`${name(file)}: ${specifier}`);
        }
      }
    }
    expect(outside).toEqual([]);
  });

  it('has no import cycle', () => {
    const edges = new Map(
      [...graph].map(([file, imports]) => [
        file,
        imports.filter((i) => i.specifier.startsWith('.')).map((i) => resolve(dirname(file), i.specifier).replace(/\.js$/, '.ts')),
      ]),
    );
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const walk = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].map(name).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const next of edges.get(file) ?? []) walk(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) walk(file, []);
    expect(cycles).toEqual([]);
  });
});
