import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppError } from './app-error.js';
import { isDatabaseConnectionError } from './database-errors.js';
import { sendError, STATUS_CODES } from './error-body.js';

/** A lost connection is replaced at once; a restart or failover takes a few seconds. */
const DATABASE_RETRY_AFTER_SECONDS = 2;

/**
 * Every error leaves as `{ "error": { "code", "message" } }`. Errors the service raised on purpose
 * keep their code; framework errors get the code of their status; a lost or refused database
 * connection is a 503 database_unavailable; anything else is a 500 whose details go to the log
 * (with the request id), never to the client.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    answerError(host.switchToHttp().getResponse<FastifyReply>(), exception);
  }
}

const logger = new Logger('Errors');

/** The filter's whole rule, also used by the routes served outside Nest's pipeline (fast routes). */
export function answerError(res: FastifyReply, exception: unknown): void {
    if (res.sent) return;
    if (exception instanceof AppError) {
      if (exception.status >= 500) logger.warn(`${exception.code}: ${exception.message}`);
      return sendError(res, exception.status, exception.code, exception.message, exception.details, exception.retryAfterSeconds);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = STATUS_CODES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
      return sendError(res, status, code, httpExceptionMessage(exception));
    }
    const frameworkStatus = clientErrorStatus(exception);
    if (frameworkStatus) {
      // Fastify's own refusals before routing (a body over the limit, a malformed URL or header).
      return sendError(res, frameworkStatus, STATUS_CODES[frameworkStatus] ?? 'bad_request', (exception as Error).message);
    }
    if (isDatabaseConnectionError(exception)) {
      // PostgreSQL restarting, failing over or killing our connection: a failure of the moment, not
      // a bug. The pool drops the dead connection and opens a new one for the next request.
      logger.warn(`database connection lost: ${(exception as Error).message}`);
      return sendError(res, 503, 'database_unavailable', 'The database could not be reached; try again shortly.', undefined, DATABASE_RETRY_AFTER_SECONDS);
    }
    logger.error(exception instanceof Error ? exception.stack ?? exception.message : String(exception));
    sendError(res, 500, 'internal_error', 'Something went wrong on our side; the request id is in our logs.');
}

function httpExceptionMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/** The 4xx status of an error Fastify raised about the request itself (its errors carry `statusCode`). */
function clientErrorStatus(exception: unknown): number | undefined {
  const status = (exception as { statusCode?: unknown } | null)?.statusCode;
  return exception instanceof Error && typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
