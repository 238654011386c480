/**
 * `npm run admin -- <command> [--direct]`: the admin API (/admin/*) from a shell. Each command
 * calls the running service's admin route (SERVICE_URL, default http://localhost:PORT, with
 * ADMIN_TOKEN), so what it changes is what the service sees; `--direct` acts on the configured
 * database in this process instead. Same validation, same JSON; `npm run admin -- help` lists them.
 */
import { directTransport, httpTransport } from '../src/cli/admin-client.js';
import { helpText, parseCommand, runCommand } from '../src/cli/admin-commands.js';
import { runCli } from '../src/cli/cli-kit.js';
import { loadConfig } from '../src/infra/config/config.js';

async function main(argv: string[]): Promise<number> {
  const parsed = await parseCommand(argv);
  if (parsed === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const config = loadConfig();
  const transport = parsed.direct ? await directTransport(config) : httpTransport(config);
  try {
    const result = await runCommand(transport, parsed);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } finally {
    await transport.close();
  }
}

// Usage errors already name the expected command line. exitWhenDone: with --direct the application
// runs in this process, and one of its modules may leave a timer behind.
runCli(main, { exitWhenDone: true });
