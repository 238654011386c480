/**
 * `npm run token -- --acc ACME --role owner [--app APP_ID] [--ttl 3600] [--claims '{"k":"v"}']`:
 * prints a development account token (HS256, signed with the service's JWT_SECRET, or its
 * development default when none is set) and nothing else, so `TOKEN=$(npm run -s token -- ...)`
 * works. Refuses production and JWKS set-ups: there, tokens come from the identity provider.
 */
import { parseCliArgs, Refusal, runCli, UsageError } from '../src/cli/cli-kit.js';
import { mintDevToken, type DevTokenRequest } from '../src/cli/dev-token.js';
import { loadConfig } from '../src/infra/config/config.js';

const HELP = `Usage: npm run -s token -- --acc ACCOUNT_ID [--role ROLE]... [--app APP_ID] [--ttl SECONDS] [--claims JSON]

Prints a development account token (HS256, signed with JWT_SECRET, or the development default
the service uses when none is set) on stdout, and nothing else:

  TOKEN=$(npm run -s token -- --acc ACME --role owner)
  curl -H "Authorization: Bearer $TOKEN" http://localhost:3000/api/subscriptions

Options:
  --acc ID        the account (claim JWT_ACCOUNT_CLAIM, default "acc"); required
  --role ROLE     a role (claim JWT_ROLE_CLAIM, default "role"); repeat it for several roles
                  (an array); the owner role (JWT_OWNER_ROLE, default "owner") may change billing
  --app ID        the application (claim JWT_APPLICATION_CLAIM, default "app"); without it the
                  service takes X-Application-Id, else DEFAULT_APPLICATION_ID
  --ttl SECONDS   lifetime of the token (default 3600)
  --claims JSON   extra claims, a JSON object; --acc, --role and --app win over it
  -h, --help      this text

iss and aud are set from JWT_ISSUER and JWT_AUDIENCE when those are configured.
Refuses to run when NODE_ENV=production or JWT_JWKS_URL is set: tokens then come from the
identity provider. Exit codes: 0 printed, 1 refused or bad configuration, 2 bad arguments.
`;

function parse(argv: string[]): DevTokenRequest | 'help' {
  const { values } = parseCliArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      acc: { type: 'string' },
      role: { type: 'string', multiple: true },
      app: { type: 'string' },
      ttl: { type: 'string' },
      claims: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const acc = values.acc?.trim();
  if (!acc) throw new UsageError('--acc is required (the account id the token is for)');
  const roles = (values.role ?? []).map((r) => r.trim());
  if (roles.some((r) => r === '')) throw new UsageError('--role must not be empty');
  const app = values.app?.trim();
  if (values.app !== undefined && !app) throw new UsageError('--app must not be empty');
  const ttlRaw = values.ttl ?? '3600';
  if (!/^\d+$/.test(ttlRaw) || Number(ttlRaw) < 1 || Number(ttlRaw) > 10 * 365 * 86400) {
    throw new UsageError('--ttl must be a whole number of seconds, at least 1');
  }
  let claims: Record<string, unknown> = {};
  if (values.claims !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.claims);
    } catch {
      throw new UsageError('--claims must be a JSON object, such as \'{"email":"a@example.com"}\'');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('--claims must be a JSON object');
    claims = parsed as Record<string, unknown>;
  }
  return { acc, roles, ...(app ? { app } : {}), ttl: Number(ttlRaw), claims };
}

async function main(argv: string[]): Promise<number> {
  const request = parse(argv);
  if (request === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  // Checked before the configuration is loaded, so production gets this answer whatever else is set.
  if (process.env.NODE_ENV?.trim() === 'production') {
    throw new Refusal('NODE_ENV is production: account tokens come from the identity provider, not from this script');
  }
  const config = loadConfig();
  if (config.JWT_JWKS_URL) {
    throw new Refusal('JWT_JWKS_URL is set: the service only accepts tokens from the identity provider, so a token from this script would be refused');
  }
  process.stdout.write(`${await mintDevToken(config, request)}\n`);
  return 0;
}

// Not exitWhenDone: nothing is left running, and stdout gets flushed before the end.
runCli(main, { usageHint: 'see --help' });
