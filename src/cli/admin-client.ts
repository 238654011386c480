import { userInfo } from 'node:os';
import type { AppConfig } from '../infra/config/config.js';
import { Refusal, RemoteError } from './cli-kit.js';

/**
 * How the shell reaches the admin API (/admin/*). By default it is the running service, over HTTP
 * with the admin token, like the Stripe CLI talks to Stripe: what a command changes is what the
 * service sees, whatever database the service runs on. `--direct` instead starts the application
 * in this process on the configured database, without a port, and sends it the same requests.
 */
export interface AdminTransport {
  /** Where the requests go, for messages. */
  readonly target: string;
  /** Sends one admin request; answers its JSON body, or throws RemoteError with the service's error code and message. */
  request(method: string, path: string, body?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Tell the audit trail that the request comes from the CLI and who runs it (the admin token is
 * shared: the user name is what the shell says, informative rather than proof).
 */
const CLI_HEADERS = { 'x-audit-channel': 'cli', ...operatorHeader() };

function operatorHeader(): Record<string, string> {
  try {
    return { 'x-audit-operator': userInfo().username };
  } catch {
    // No user name for this uid (a container's arbitrary uid): the record says cli without one.
    return {};
  }
}

/** The embedded default without DATA_DIR keeps nothing: a command run against it changes nothing that lasts. */
export function usesThrowAwayDatabase(config: Pick<AppConfig, 'DATABASE_URL' | 'DATA_DIR'>): boolean {
  return !config.DATABASE_URL && !config.DATA_DIR;
}

/** SERVICE_URL, or the service of this configuration on this machine. */
export function serviceUrl(config: Pick<AppConfig, 'SERVICE_URL' | 'PORT'>): string {
  return (config.SERVICE_URL || `http://localhost:${config.PORT}`).replace(/\/+$/, '');
}

/** The running service, over HTTP. */
export function httpTransport(config: Pick<AppConfig, 'SERVICE_URL' | 'PORT' | 'ADMIN_TOKEN'>): AdminTransport {
  const base = serviceUrl(config);
  return {
    target: base,
    async request(method, path, body) {
      let response: Response;
      try {
        response = await fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${config.ADMIN_TOKEN}`,
            accept: 'application/json',
            ...CLI_HEADERS,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new RemoteError(
          'service_unreachable',
          `no billing service answers at ${base} (${cause?.code ?? cause?.message ?? String(error)}): start it with npm start, or set SERVICE_URL to where it runs (or PORT to its port); --direct acts on its database without it`,
        );
      }
      return answerOf(response.status, await response.text(), base);
    },
    close: async () => undefined,
  };
}

/**
 * The application in this process on the configured database (no HTTP server; Fastify's inject),
 * for a machine where the service is not running. Refused on the throw-away in-memory database,
 * where it would report success and keep nothing.
 */
export async function directTransport(config: AppConfig): Promise<AdminTransport> {
  if (usesThrowAwayDatabase(config)) {
    throw new Refusal(
      'with neither DATABASE_URL nor DATA_DIR set, --direct would act on a throw-away in-memory database and keep nothing: set DATABASE_URL (or DATA_DIR) to the service\'s database, or drop --direct to go through the running service',
    );
  }
  const [{ createApp }, { prepareEmbeddedDatabase }] = await Promise.all([import('../bootstrap.js'), import('../local-mode.js')]);
  // A new DATA_DIR starts from the migrated template, as the service's own first start does.
  const { config: prepared } = await prepareEmbeddedDatabase(config);
  // Short-lived and next to the service: no webhook worker, no schedule, no metrics listener (the
  // service holds METRICS_PORT), and nothing on stdout but the answer.
  const app = await createApp({ ...prepared, WEBHOOK_WORKER_ENABLED: false, RECONCILER_ENABLED: false, METRICS_PORT: null, LOG_LEVEL: 'silent' });
  await app.init();
  const fastify = app.getHttpAdapter().getInstance();
  const target = config.DATABASE_URL ? 'the database of DATABASE_URL' : `embedded PGlite in ${config.DATA_DIR}`;
  return {
    target,
    async request(method, path, body) {
      const response = await fastify.inject({
        method: method as 'GET',
        url: path,
        headers: {
          authorization: `Bearer ${config.ADMIN_TOKEN}`,
          accept: 'application/json',
          ...CLI_HEADERS,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });
      return answerOf(response.statusCode, response.body, target);
    },
    close: () => app.close(),
  };
}

/** The JSON of a 2xx answer; an error answer becomes its code and message. */
function answerOf(status: number, text: string, target: string): unknown {
  let json: unknown;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    throw new RemoteError('unexpected_answer', `${target} answered ${status} with something other than JSON: is it the billing service?`, status);
  }
  if (status >= 200 && status < 300) return json;
  const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (error && typeof error.code === 'string') throw new RemoteError(error.code, typeof error.message === 'string' ? error.message : `HTTP ${status}`, status);
  throw new RemoteError('unexpected_answer', `${target} answered ${status}: is it the billing service?`, status);
}
