import { createApp } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/infra/config/config.js';
import { buildOpenApiDocument } from '../../src/infra/http/swagger.js';

/** Where the committed document lives, from the repository's root. */
export const OPENAPI_PATH = 'openapi/openapi.json';

/**
 * The service's OpenAPI document as the committed file holds it (2-space JSON and a final newline),
 * from an application on an in-memory embedded database with no Stripe key and no listening socket.
 */
export async function openApiJson(): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: '', DATA_DIR: '', WEBHOOK_WORKER_ENABLED: 'false', RECONCILER_ENABLED: 'false' });
  const app = await createApp(config);
  try {
    await app.init();
    return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
