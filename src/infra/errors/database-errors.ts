import { ConnectionException } from '@mikro-orm/core';

/**
 * SQLSTATEs that mean the connection, not the statement, failed: class 08 (connection exception),
 * the server shutting down or killing the backend (57P01 admin_shutdown, 57P02 crash_shutdown,
 * 57P03 cannot_connect_now, 57P05 idle_session_timeout) and no connection slot (53300).
 */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57P05', '53300']);
/** Socket errors of node between us and PostgreSQL. */
const SOCKET_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * What node-postgres and its pool say when a connection ends under a query or cannot be had; they
 * carry no code. A database refusing connections (`allow_connections false`) answers 55000 at
 * connect time, told from other 55000s by its message.
 */
const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /client has encountered a connection error and is not queryable/i,
  /timeout exceeded when trying to connect/i,
  /is not currently accepting connections/i,
  /terminating connection due to/i,
];

/**
 * Whether an error (or any error it wraps: MikroORM's DriverException copies the driver's error,
 * others keep it as `cause`) says the database connection was lost or could not be made — a
 * failure of the moment, worth a retry, rather than one of the statement.
 */
export function isDatabaseConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof ConnectionException) return true;
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (code.startsWith('08') || CONNECTION_SQLSTATES.has(code) || SOCKET_ERRORS.has(code))) return true;
    if (typeof message === 'string' && CONNECTION_MESSAGES.some((re) => re.test(message))) return true;
  }
  return false;
}

/**
 * The SQLSTATE of a data exception (class 22: a value PostgreSQL cannot take, such as a number
 * beyond its numeric range) in an error or any error it wraps; undefined for any other error.
 */
export function dataExceptionCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * A pause before the second attempt: a server that killed one of our connections usually killed
 * the idle ones in the pool too, and the pool drops those only once their sockets have told it,
 * which takes a moment; without the pause the second attempt can be handed one of them.
 */
const RETRY_PAUSE_MS = 200;

/**
 * Runs an idempotent database write, and once more when the first attempt lost its connection (the
 * pool gives the second one a fresh connection). Only for statements whose repetition is harmless.
 */
export async function retryOnceOnConnectionLoss<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isDatabaseConnectionError(error)) throw error;
    await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    return write();
  }
}
