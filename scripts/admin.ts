/**
 * `npm run admin -- <command>`: the shell twin of the admin API (/admin/*). Same service, same
 * validation, same JSON; run `npm run admin -- help` for the commands.
 */
import { loadConfig } from '../src/infra/config/config.js';
import { helpText, parseCommand } from '../src/cli/admin-commands.js';
import { runCli } from '../src/cli/cli-kit.js';
import { openCliContext, usesThrowAwayDatabase } from '../src/cli/cli-context.js';

async function main(argv: string[]): Promise<number> {
  const parsed = await parseCommand(argv);
  if (parsed === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const config = loadConfig();
  if (usesThrowAwayDatabase(config)) {
    process.stderr.write('warning: neither DATA_DIR nor DATABASE_URL is set: this runs on a throw-away in-memory database and nothing is kept. Set DATA_DIR (the folder of the embedded database) or DATABASE_URL.\n');
  }
  const context = await openCliContext(config);
  try {
    const result = await parsed.command.run(context.app, parsed.args, parsed.input);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } finally {
    await context.close();
  }
}

// Usage errors already name the expected command line. exitWhenDone: a command must end even if a module left a timer behind.
runCli(main, { exitWhenDone: true });
