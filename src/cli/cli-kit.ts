import { parseArgs, type ParseArgsConfig } from 'node:util';
import Stripe from 'stripe';
import { ConfigError } from '../infra/config/config.js';
import { AppError } from '../infra/errors/app-error.js';

/**
 * What every command-line tool (scripts/*.ts) shares: how a failure reaches the user (one line on
 * stderr, `error: <code>: <message>`, and an exit code: 2 for a wrong command line, 1 for anything
 * else) and how its arguments are read. docs/admin.md documents the format.
 */

/** Wrong command, unknown flag, missing or malformed argument: the user needs the usage (exit 2). */
export class UsageError extends Error {}

/** The command will not do this here (a live key, production, a service that says no): exit 1, code `refused`. */
export class Refusal extends Error {}

/** The service (or the database through it) answered with an error: its own code and message, exit 1. */
export class RemoteError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface CliFailure {
  code: string;
  message: string;
  exitCode: 1 | 2;
}

/** The code, message and exit code of what a command threw. `usageHint` is added to usage errors, e.g. "see --help". */
export function describeFailure(error: unknown, usageHint?: string): CliFailure {
  if (error instanceof UsageError) return { code: 'usage', message: usageHint ? `${error.message} (${usageHint})` : error.message, exitCode: 2 };
  if (error instanceof Refusal) return { code: 'refused', message: error.message, exitCode: 1 };
  if (error instanceof RemoteError) return { code: error.code, message: error.message, exitCode: 1 };
  if (error instanceof AppError) return { code: error.code, message: error.message, exitCode: 1 };
  if (error instanceof ConfigError) return { code: 'invalid_config', message: error.message, exitCode: 1 };
  if (error instanceof Stripe.errors.StripeError) return { code: 'stripe_error', message: `${error.type}: ${error.message}`, exitCode: 1 };
  return { code: 'internal_error', message: error instanceof Error ? error.message : String(error), exitCode: 1 };
}

export interface RunCliOptions {
  /** Added to usage errors' messages in parentheses, for commands whose --help explains more. */
  usageHint?: string;
  /**
   * End the process as soon as `main` settles (process.exit), for commands that start the
   * application or open the database: one of its modules may leave a timer or a connection behind.
   * Without it the process ends when nothing is left to do, so stdout is always flushed.
   */
  exitWhenDone?: boolean;
}

/**
 * Runs a command's `main` with the process arguments: its result is the exit code; what it throws
 * becomes one line on stderr (never a stack trace) and exit code 1 or 2, see describeFailure.
 */
export function runCli(main: (argv: string[]) => Promise<number>, options: RunCliOptions = {}): void {
  const end = (code: number) => {
    if (options.exitWhenDone) process.exit(code);
    process.exitCode = code;
  };
  main(process.argv.slice(2)).then(end, (error: unknown) => {
    const failure = describeFailure(error, options.usageHint);
    process.stderr.write(`error: ${failure.code}: ${failure.message.replace(/\s*\n\s*/g, ' ')}\n`);
    end(failure.exitCode);
  });
}

/**
 * node:util's parseArgs (strict unless told otherwise: unknown flags and missing values refused),
 * refusing with a UsageError in one short sentence ("unknown flag --colour") instead of its own
 * error; `context` follows it after a semicolon, e.g. the command's usage line.
 */
export function parseCliArgs<T extends ParseArgsConfig>(config: T, context?: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    const problem = unknown ? `unknown flag ${unknown[1]}` : message.split(/\.\s|\n/)[0]!;
    throw new UsageError(context ? `${problem}; ${context}` : problem);
  }
}
