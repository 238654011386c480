/**
 * `npm run admin -- <command>`: the shell twin of the admin API (/admin/*). Same service, same
 * validation, same JSON; run `npm run admin -- help` for the commands.
 */
import { AppError } from '../src/infra/errors/app-error.js';
import { ConfigError, loadConfig } from '../src/infra/config/config.js';
import { helpText, parseCommand, UsageError } from '../src/cli/admin-commands.js';
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
    const result = await parsed.command.run(context.tenancy, parsed.args, parsed.input, context.app);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } finally {
    await context.close();
  }
}

function fail(error: unknown): number {
  const [code, message, exit] =
    error instanceof UsageError ? ['usage', error.message, 2]
    : error instanceof AppError ? [error.code, error.message, 1]
    : error instanceof ConfigError ? ['invalid_config', error.message, 1]
    : ['internal_error', error instanceof Error ? error.message : String(error), 1];
  process.stderr.write(`error: ${code}: ${String(message).replace(/\s*\n\s*/g, ' ')}\n`);
  return exit as number;
}

// exit() rather than waiting for the event loop: a command must end even if a module left a timer behind.
main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => process.exit(fail(error)));
