import { ListAuditRecordsQuery } from '../audit/audit.dto.js';
import { CatalogSyncDto } from '../entitlements/admin-catalog.controller.js';
import { ListRunsQuery, StartReconcileDto } from '../reconciler/reconcile.dto.js';
import {
  CreateApplicationDto,
  CreateMerchantDto,
  IssueApiKeyDto,
  RotateWebhookSecretDto,
  UpdateApplicationDto,
  UpdateMerchantDto,
} from '../tenancy/tenancy.dto.js';
import { ListWebhookEventsQuery } from '../webhooks/webhook-events.dto.js';
import type { AdminTransport } from './admin-client.js';
import { parseCliArgs, UsageError } from './cli-kit.js';
import { validateDto } from './validate-dto.js';

/**
 * How a flag becomes a field of the DTO. Values are converted only when they look right
 * (`--fee abc` stays "abc"), so that the DTO's own rules produce the message, as in the API.
 */
type FlagKind = 'string' | 'number' | 'boolean' | 'list' | 'clear';
interface FlagSpec {
  field: string;
  kind: FlagKind;
  help: string;
  /** Only for the help text: the DTO decides what is required. */
  required?: boolean;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface Command {
  /** The admin route it calls, e.g. `PATCH /admin/applications/:application_id`; the `:params` take `args` in order. */
  route: `${Method} /admin${string}`;
  args: string[];
  flags: Record<string, FlagSpec>;
  /** Checks the flags before anything is sent, with the API's own rules, so that messages name the flags. */
  dto?: new () => object;
  summary: string;
}

const MERCHANT_SETTINGS: Record<string, FlagSpec> = {
  fee: { field: 'application_fee_percent', kind: 'number', help: 'PERCENT' },
  country: { field: 'country', kind: 'string', help: 'JP' },
  currency: { field: 'default_currency', kind: 'string', help: 'jpy' },
};

const APPLICATION_SETTINGS: Record<string, FlagSpec> = {
  origin: { field: 'allowed_origins', kind: 'list', help: 'https://app.example.com (repeat)' },
  price: { field: 'price_ids', kind: 'list', help: 'price_... (repeat)' },
  'grace-days': { field: 'past_due_grace_days', kind: 'number', help: 'DAYS' },
  'trial-days': { field: 'trial_days', kind: 'number', help: 'DAYS' },
  'multiple-subscriptions': { field: 'allow_multiple_subscriptions_per_product', kind: 'boolean', help: 'true|false' },
  'cancel-invoice-now': { field: 'cancel_invoice_now', kind: 'boolean', help: 'true|false' },
  'cancel-prorate': { field: 'cancel_prorate', kind: 'boolean', help: 'true|false' },
};

export const COMMANDS: Record<string, Command> = {
  'merchants list': { route: 'GET /admin/merchants', args: [], flags: {}, summary: 'List merchants' },
  'merchants show': { route: 'GET /admin/merchants/:merchant_id', args: ['MERCHANT_ID'], flags: {}, summary: 'Show a merchant' },
  'merchants create': {
    route: 'POST /admin/merchants',
    args: [],
    flags: {
      'display-name': { field: 'display_name', kind: 'string', help: 'NAME', required: true },
      'charge-model': { field: 'charge_model', kind: 'string', help: 'platform|direct|destination', required: true },
      'stripe-account': { field: 'stripe_account_id', kind: 'string', help: 'acct_... (direct and destination)' },
      ...MERCHANT_SETTINGS,
      id: { field: 'id', kind: 'string', help: 'ID (default: from the display name)' },
    },
    dto: CreateMerchantDto,
    summary: 'Create a merchant (the platform or a connected account)',
  },
  'merchants update': {
    route: 'PATCH /admin/merchants/:merchant_id',
    args: ['MERCHANT_ID'],
    flags: { 'display-name': { field: 'display_name', kind: 'string', help: 'NAME' }, ...MERCHANT_SETTINGS },
    dto: UpdateMerchantDto,
    summary: 'Change a merchant',
  },
  'applications list': { route: 'GET /admin/applications', args: [], flags: {}, summary: 'List applications' },
  'applications show': { route: 'GET /admin/applications/:application_id', args: ['APPLICATION_ID'], flags: {}, summary: 'Show an application' },
  'applications create': {
    route: 'POST /admin/applications',
    args: [],
    flags: {
      id: { field: 'id', kind: 'string', help: 'ID', required: true },
      name: { field: 'name', kind: 'string', help: 'NAME', required: true },
      merchant: { field: 'merchant_id', kind: 'string', help: 'MERCHANT_ID', required: true },
      'webhook-secret': { field: 'webhook_secret', kind: 'string', help: 'whsec_... (generated and shown once when omitted)' },
      ...APPLICATION_SETTINGS,
    },
    dto: CreateApplicationDto,
    summary: 'Create an application sold through a merchant',
  },
  'applications update': {
    route: 'PATCH /admin/applications/:application_id',
    args: ['APPLICATION_ID'],
    flags: {
      name: { field: 'name', kind: 'string', help: 'NAME' },
      ...APPLICATION_SETTINGS,
      'clear-origins': { field: 'allowed_origins', kind: 'clear', help: '(no allowed origins)' },
      'clear-prices': { field: 'price_ids', kind: 'clear', help: '(empty catalog)' },
    },
    dto: UpdateApplicationDto,
    summary: 'Change an application; --price replaces the whole catalog',
  },
  'applications rotate-secret': {
    route: 'POST /admin/applications/:application_id/webhook-secret/rotate',
    args: ['APPLICATION_ID'],
    flags: {
      secret: { field: 'secret', kind: 'string', help: 'whsec_... (generated when omitted)' },
      'overlap-hours': { field: 'overlap_hours', kind: 'number', help: 'HOURS the previous secrets stay valid' },
    },
    dto: RotateWebhookSecretDto,
    summary: 'Add a new webhook signing secret; the previous ones stay valid for the overlap',
  },
  'keys issue': {
    route: 'POST /admin/applications/:application_id/api-keys',
    args: ['APPLICATION_ID'],
    flags: { name: { field: 'name', kind: 'string', help: 'NAME', required: true } },
    dto: IssueApiKeyDto,
    summary: 'Issue a partner API key (the key is printed once)',
  },
  'keys list': { route: 'GET /admin/applications/:application_id/api-keys', args: ['APPLICATION_ID'], flags: {}, summary: "List an application's API keys (never the keys themselves)" },
  'keys revoke': { route: 'DELETE /admin/applications/:application_id/api-keys/:key_id', args: ['APPLICATION_ID', 'KEY_ID'], flags: {}, summary: 'Revoke a partner API key' },
  'webhook-events list': {
    route: 'GET /admin/webhook-events',
    args: [],
    flags: {
      state: { field: 'state', kind: 'string', help: 'received|processed|failed|dead' },
      type: { field: 'type', kind: 'string', help: 'invoice.paid' },
      application: { field: 'application_id', kind: 'string', help: 'APPLICATION_ID' },
      flag: { field: 'flag', kind: 'string', help: 'unknown_account' },
      limit: { field: 'limit', kind: 'number', help: 'N (default 50)' },
    },
    dto: ListWebhookEventsQuery,
    summary: 'List stored webhook events, newest first',
  },
  'webhook-events stats': { route: 'GET /admin/webhook-events/stats', args: [], flags: {}, summary: 'How many events are in each state' },
  'webhook-events show': { route: 'GET /admin/webhook-events/:event_id', args: ['EVENT_ID'], flags: {}, summary: 'Show one event with its payload and last error' },
  'webhook-events replay': { route: 'POST /admin/webhook-events/:event_id/replay', args: ['EVENT_ID'], flags: {}, summary: 'Put one event back in the queue' },
  'webhook-events replay-dead': { route: 'POST /admin/webhook-events/replay-dead', args: [], flags: {}, summary: 'Put every dead event back in the queue' },
  'reconcile-runs list': {
    route: 'GET /admin/reconcile-runs',
    args: [],
    flags: { limit: { field: 'limit', kind: 'number', help: 'N (default 50)' } },
    dto: ListRunsQuery,
    summary: 'Reconcile runs, newest first',
  },
  'reconcile-runs show': { route: 'GET /admin/reconcile-runs/:run_id', args: ['RUN_ID'], flags: {}, summary: 'One reconcile run' },
  'reconcile-runs start': {
    route: 'POST /admin/reconcile-runs',
    args: [],
    flags: {
      scope: { field: 'scope', kind: 'string', help: 'platform|merchant|account' },
      merchant: { field: 'merchant_id', kind: 'string', help: 'MERCHANT_ID' },
      account: { field: 'account_id', kind: 'string', help: 'ACCOUNT_ID' },
      'allow-deletes': { field: 'allow_deletes', kind: 'boolean', help: 'true|false' },
      wait: { field: 'wait', kind: 'boolean', help: 'true|false (answer when it has finished)' },
    },
    dto: StartReconcileDto,
    summary: 'Start a re-sync from Stripe (npm run reconcile does it and follows it to the end)',
  },
  'audit list': {
    route: 'GET /admin/audit-records',
    args: [],
    flags: {
      account: { field: 'account_id', kind: 'string', help: 'ACCOUNT_ID' },
      application: { field: 'application_id', kind: 'string', help: 'APPLICATION_ID' },
      actor: { field: 'actor', kind: 'string', help: 'ACCOUNT_ID|admin|KEY_ID' },
      'actor-type': { field: 'actor_type', kind: 'string', help: 'account|admin|partner' },
      action: { field: 'action', kind: 'string', help: 'subscription.cancel' },
      outcome: { field: 'outcome', kind: 'string', help: 'success|error' },
      'request-id': { field: 'request_id', kind: 'string', help: 'REQUEST_ID' },
      from: { field: 'from', kind: 'string', help: '2026-11-20T00:00:00Z' },
      to: { field: 'to', kind: 'string', help: '2026-11-21T00:00:00Z' },
      cursor: { field: 'cursor', kind: 'string', help: 'NEXT_CURSOR (the next page)' },
      limit: { field: 'limit', kind: 'number', help: 'N (default 50)' },
    },
    dto: ListAuditRecordsQuery,
    summary: 'The audit trail, newest first: who changed what, with the request and Stripe request ids',
  },
  'catalog-sync': {
    route: 'POST /admin/catalog-sync',
    args: [],
    flags: { merchant: { field: 'merchant_id', kind: 'string', help: 'MERCHANT_ID (default: every active merchant)' } },
    dto: CatalogSyncDto,
    summary: 'Copy products, prices, features and product features from Stripe into the mirror',
  },
};

export interface ParsedCommand {
  name: string;
  command: Command;
  args: string[];
  /** The validated DTO, for commands that take one. */
  input?: object;
  /** `--direct`: on the configured database in this process instead of through the running service. */
  direct: boolean;
}

/** Reads argv into a command and its validated input. Throws UsageError or AppError('validation_failed'). */
export async function parseCommand(argvWithGlobalFlags: string[]): Promise<ParsedCommand | 'help'> {
  // --direct may stand anywhere: it says where the command goes, not what it does.
  const direct = argvWithGlobalFlags.includes('--direct');
  const argv = argvWithGlobalFlags.filter((arg) => arg !== '--direct');
  if (argv.length === 0 || argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) return 'help';
  // Commands are one word (catalog-sync) or two (merchants create).
  const single = COMMANDS[argv[0]!] ? argv[0]! : undefined;
  const name = single ?? `${argv[0]} ${argv[1] ?? ''}`.trim();
  const command = COMMANDS[name];
  const rest = argv.slice(single ? 1 : 2);
  if (!command) {
    const group = Object.keys(COMMANDS).filter((c) => c.startsWith(`${argv[0]} `));
    throw new UsageError(group.length ? `"${name}" is not a command; try one of: ${group.join(', ')}` : `unknown command "${argv[0]}"; run "npm run admin -- help"`);
  }
  const parsed = parseCliArgs(
    {
      args: rest,
      options: Object.fromEntries(Object.entries(command.flags).map(([flag, spec]) => [flag, spec.kind === 'clear' ? { type: 'boolean' } : { type: 'string', multiple: spec.kind === 'list' }])),
      allowPositionals: true,
      strict: true,
    },
    `expected: ${usageLine(name, command)}`,
  );
  if (parsed.positionals.length !== command.args.length) {
    throw new UsageError(`wrong arguments; expected: ${usageLine(name, command)}`);
  }
  if (!command.dto) return { name, command, args: parsed.positionals, direct };
  const plain: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(parsed.values)) {
    const spec = command.flags[flag]!;
    if (spec.kind !== 'clear') plain[spec.field] = convert(spec.kind, value as string | string[]);
  }
  for (const [flag, value] of Object.entries(parsed.values)) {
    const spec = command.flags[flag]!;
    if (spec.kind !== 'clear' || !value) continue;
    if (plain[spec.field] !== undefined) throw new UsageError(`--${flag} cannot be combined with --${flagOf(command, spec.field)}`);
    plain[spec.field] = [];
  }
  const input = await validateDto(command.dto, plain, (field) => `--${flagOf(command, field) ?? field}`);
  return { name, command, args: parsed.positionals, input, direct };
}

/** The request a parsed command makes: its route with the arguments in the path, its input as the query (GET) or the JSON body. */
export function requestOf(parsed: ParsedCommand): { method: Method; path: string; body?: object } {
  const [method, template] = parsed.command.route.split(' ') as [Method, string];
  let next = 0;
  let path = template.replace(/:[a-z_]+/g, () => encodeURIComponent(parsed.args[next++]!));
  if (method === 'GET' || method === 'DELETE') {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(parsed.input ?? {})) if (value !== undefined) query.set(key, value instanceof Date ? value.toISOString() : String(value));
    if (query.size > 0) path += `?${query}`;
    return { method, path };
  }
  return { method, path, ...(parsed.input ? { body: { ...parsed.input } } : {}) };
}

/** Runs a parsed command through the transport; answers what the service answered. */
export function runCommand(transport: AdminTransport, parsed: ParsedCommand): Promise<unknown> {
  const { method, path, body } = requestOf(parsed);
  return transport.request(method, path, body);
}

function convert(kind: FlagKind, value: string | string[]): unknown {
  if (Array.isArray(value)) return value;
  if (kind === 'number' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  if (kind === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** The flag that sets a DTO field, so that messages name what the user typed. */
function flagOf(command: Command, field: string): string | undefined {
  return Object.entries(command.flags).find(([, spec]) => spec.field === field && spec.kind !== 'clear')?.[0];
}

function usageLine(name: string, command: Command): string {
  const flags = Object.entries(command.flags).map(([flag, spec]) => (spec.kind === 'clear' ? `[--${flag}]` : spec.required ? `--${flag} ${spec.help}` : `[--${flag} ${spec.help}]`));
  return ['npm run admin --', name, ...command.args, ...flags].join(' ');
}

export function helpText(): string {
  const lines = [
    'The admin API (/admin/*) from a shell: merchants, applications, webhook secrets, partner API keys,',
    'webhook events, reconcile runs, the catalog sync and the audit trail. Each command calls one admin route.',
    '',
  ];
  for (const [name, command] of Object.entries(COMMANDS)) lines.push(`  ${usageLine(name, command)}`, `      ${command.summary} (${command.route})`);
  lines.push(
    '',
    'Commands go to the running service: SERVICE_URL (default http://localhost:PORT) with ADMIN_TOKEN,',
    'so what they change is what the service sees. With --direct they act on the service\'s database',
    'in this process instead (DATABASE_URL, or embedded PGlite in DATA_DIR with the service stopped);',
    'refused when neither is set, since that database would be thrown away.',
    '',
    'Results are printed as JSON on stdout. Errors are one line on stderr, "error: <code>: <message>";',
    'exit code 1 for refused input or a failed operation, 2 for a wrong command line.',
  );
  return lines.join('\n');
}
