/** Child process of the lookup benchmark: the real service on the given DATABASE_URL, printing its port. */
import { createApp } from '../src/bootstrap.js';
import { loadConfig } from '../src/infra/config/config.js';

const app = await createApp(loadConfig());
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address() as { port: number };
process.stdout.write(`LISTENING ${port}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
