import type { INestApplicationContext } from '@nestjs/common';
import { CatalogSyncDto } from '../entitlements/admin-catalog.controller.js';
import { CatalogSyncService } from '../entitlements/catalog-sync.service.js';
import {
  CreateApplicationDto,
  CreateMerchantDto,
  IssueApiKeyDto,
  RotateWebhookSecretDto,
  UpdateApplicationDto,
  UpdateMerchantDto,
} from '../tenancy/tenancy.dto.js';
import { ApplicationsService } from '../tenancy/applications.service.js';
import { MerchantsService } from '../tenancy/merchants.service.js';
import { PartnerKeysService } from '../tenancy/partner-keys.service.js';
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

interface Command {
  args: string[];
  flags: Record<string, FlagSpec>;
  dto?: new () => object;
  summary: string;
  /** `app` gives each command its service (merchants, applications, partner keys, catalog sync). */
  run(app: INestApplicationContext, args: string[], input: any): Promise<unknown>;
}

const merchants = (app: INestApplicationContext) => app.get(MerchantsService);
const applications = (app: INestApplicationContext) => app.get(ApplicationsService);
const keys = (app: INestApplicationContext) => app.get(PartnerKeysService);

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
  'merchants list': { args: [], flags: {}, summary: 'List merchants', run: async (app) => ({ data: await merchants(app).listMerchants() }) },
  'merchants show': { args: ['MERCHANT_ID'], flags: {}, summary: 'Show a merchant', run: (app, [id]) => merchants(app).getMerchant(id!) },
  'merchants create': {
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
    run: (app, _args, dto: CreateMerchantDto) => merchants(app).createMerchant(dto),
  },
  'merchants update': {
    args: ['MERCHANT_ID'],
    flags: { 'display-name': { field: 'display_name', kind: 'string', help: 'NAME' }, ...MERCHANT_SETTINGS },
    dto: UpdateMerchantDto,
    summary: 'Change a merchant',
    run: (app, [id], dto: UpdateMerchantDto) => merchants(app).updateMerchant(id!, dto),
  },
  'applications list': { args: [], flags: {}, summary: 'List applications', run: async (app) => ({ data: await applications(app).listApplications() }) },
  'applications show': { args: ['APPLICATION_ID'], flags: {}, summary: 'Show an application', run: (app, [id]) => applications(app).describe(id!) },
  'applications create': {
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
    run: (app, _args, dto: CreateApplicationDto) => applications(app).createApplication(dto),
  },
  'applications update': {
    args: ['APPLICATION_ID'],
    flags: {
      name: { field: 'name', kind: 'string', help: 'NAME' },
      ...APPLICATION_SETTINGS,
      'clear-origins': { field: 'allowed_origins', kind: 'clear', help: '(no allowed origins)' },
      'clear-prices': { field: 'price_ids', kind: 'clear', help: '(empty catalog)' },
    },
    dto: UpdateApplicationDto,
    summary: 'Change an application; --price replaces the whole catalog',
    run: (app, [id], dto: UpdateApplicationDto) => applications(app).updateApplication(id!, dto),
  },
  'applications rotate-secret': {
    args: ['APPLICATION_ID'],
    flags: {
      secret: { field: 'secret', kind: 'string', help: 'whsec_... (generated when omitted)' },
      'overlap-hours': { field: 'overlap_hours', kind: 'number', help: 'HOURS the previous secrets stay valid' },
    },
    dto: RotateWebhookSecretDto,
    summary: 'Add a new webhook signing secret; the previous ones stay valid for the overlap',
    run: (app, [id], dto: RotateWebhookSecretDto) =>
      applications(app).rotateWebhookSecret(id!, { ...(dto.secret ? { secret: dto.secret } : {}), ...(dto.overlap_hours !== undefined ? { overlapHours: dto.overlap_hours } : {}) }),
  },
  'keys issue': {
    args: ['APPLICATION_ID'],
    flags: { name: { field: 'name', kind: 'string', help: 'NAME', required: true } },
    dto: IssueApiKeyDto,
    summary: 'Issue a partner API key (the key is printed once)',
    run: (app, [id], dto: IssueApiKeyDto) => keys(app).issueApiKey(id!, dto.name),
  },
  'keys list': { args: ['APPLICATION_ID'], flags: {}, summary: "List an application's API keys (never the keys themselves)", run: async (app, [id]) => ({ data: await keys(app).listApiKeys(id!) }) },
  'catalog-sync': {
    args: [],
    flags: { merchant: { field: 'merchant_id', kind: 'string', help: 'MERCHANT_ID (default: every active merchant)' } },
    dto: CatalogSyncDto,
    summary: 'Copy products, prices, features and product features from Stripe into the mirror',
    run: async (app, _args, dto: CatalogSyncDto) => ({ data: await app.get(CatalogSyncService).sync(dto.merchant_id) }),
  },
  'keys revoke': { args: ['APPLICATION_ID', 'KEY_ID'], flags: {}, summary: 'Revoke a partner API key', run: (app, [id, key]) => keys(app).revokeApiKey(id!, key!) },
};

export interface ParsedCommand {
  name: string;
  command: Command;
  args: string[];
  /** The validated DTO, for commands that take one. */
  input?: object;
}

/** Reads argv into a command and its validated input. Throws UsageError or AppError('validation_failed'). */
export async function parseCommand(argv: string[]): Promise<ParsedCommand | 'help'> {
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
  if (!command.dto) return { name, command, args: parsed.positionals };
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
  return { name, command, args: parsed.positionals, input };
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
  const lines = ['Administers merchants, applications, webhook secrets and partner API keys (the shell twin of /admin/*).', ''];
  for (const [name, command] of Object.entries(COMMANDS)) lines.push(`  ${usageLine(name, command)}`, `      ${command.summary}`);
  lines.push(
    '',
    'Results are printed as JSON on stdout. Errors are one line on stderr, "error: <code>: <message>";',
    'exit code 1 for refused input or a failed operation, 2 for a wrong command line.',
    'The database is the one the service uses: DATABASE_URL, or embedded PGlite in DATA_DIR.',
  );
  return lines.join('\n');
}
