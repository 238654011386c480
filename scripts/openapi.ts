/**
 * `npm run openapi`: writes the service's OpenAPI document, as the code declares it, to
 * openapi/openapi.json (committed: the typed client is generated from it, and a test fails when the
 * code and the committed copy differ). `npm run openapi -- --check` only compares: exit 1 on a
 * difference. The application is built on an in-memory embedded database, with no Stripe and no
 * listening socket.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseCliArgs, Refusal, runCli } from '../src/cli/cli-kit.js';
import { openApiJson, OPENAPI_PATH } from './support/openapi-document.js';

runCli(
  async () => {
    const { values } = parseCliArgs({ options: { check: { type: 'boolean' } } }, 'usage: npm run openapi [-- --check]');
    const current = await openApiJson();
    if (values.check) {
      const committed = await readFile(OPENAPI_PATH, 'utf8').catch(() => '');
      if (committed !== current) throw new Refusal(`${OPENAPI_PATH} differs from the code's document: run npm run openapi and commit it.`);
      process.stdout.write(`${OPENAPI_PATH} is up to date\n`);
      return 0;
    }
    await writeFile(OPENAPI_PATH, current);
    process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
    return 0;
  },
  { exitWhenDone: true },
);
