import { readFile } from 'node:fs/promises';
import { openApiJson, OPENAPI_PATH } from '../scripts/support/openapi-document.js';

/**
 * The committed OpenAPI document (openapi/openapi.json, from which the typed client is generated)
 * is the code's: a DTO, route or example changed without `npm run openapi` fails here, and so CI.
 */
describe('the committed OpenAPI document', () => {
  it("equals the document the code declares (run npm run openapi and commit it when this fails)", async () => {
    const [committed, current] = await Promise.all([readFile(OPENAPI_PATH, 'utf8'), openApiJson()]);
    if (committed !== current) {
      const a = JSON.parse(committed) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
      const b = JSON.parse(current) as typeof a;
      const differing = (x: Record<string, unknown>, y: Record<string, unknown>) =>
        [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]));
      // Name what differs, so that the failure says which route or schema moved.
      expect({ paths: differing(a.paths, b.paths), schemas: differing(a.components.schemas, b.components.schemas) }).toEqual({ paths: [], schemas: [] });
    }
    expect(committed).toBe(current);
  });
});
