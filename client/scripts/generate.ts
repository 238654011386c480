/**
 * `npm run generate -w @billing/client` (also run by the root `npm run openapi`, after it wrote the
 * document): writes src/schema.d.ts, the types openapi-typescript makes of the service's committed
 * OpenAPI document (openapi/openapi.json). `-- --check` only compares, exit 1 on a difference.
 * The client's schema test compares them too, through the same function, so types that lag behind
 * the document fail the suite.
 *
 * Run by Node itself (its type stripping): no build step, and nothing here but erasable TypeScript.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

export const DOCUMENT_URL = new URL('../../openapi/openapi.json', import.meta.url);
export const SCHEMA_URL = new URL('../src/schema.d.ts', import.meta.url);

/** The text of src/schema.d.ts for the committed document, exactly as the generator writes it. */
export async function generateSchema(): Promise<string> {
  const document = JSON.parse(await readFile(DOCUMENT_URL, 'utf8')) as Parameters<typeof openapiTS>[0];
  // Parsed here rather than passed as a path, so that the result depends on the document's content
  // only. defaultNonNullable off: a request field with a default (a checkout's `quantity`, a
  // reconcile run's `scope`) may be left out, the service fills it in; openapi-typescript's default
  // would make it required.
  const ast = await openapiTS(document, { silent: true, defaultNonNullable: false });
  return `${COMMENT_HEADER}${astToString(ast)}`;
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const [current, committed] = await Promise.all([generateSchema(), readFile(SCHEMA_URL, 'utf8').catch(() => '')]);
  const path = 'client/src/schema.d.ts';
  if (current === committed) {
    process.stdout.write(`${path} is up to date\n`);
    return 0;
  }
  if (check) {
    process.stderr.write(`${path} differs from what openapi-typescript makes of openapi/openapi.json: run npm run generate -w @billing/client and commit it.\n`);
    return 1;
  }
  await writeFile(SCHEMA_URL, current);
  process.stdout.write(`wrote ${path}\n`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
