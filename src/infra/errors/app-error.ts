import { HttpStatus } from '@nestjs/common';

/**
 * The one error type the service throws on purpose: a stable machine-readable code, a message
 * for a person, and the HTTP status. The exception filter renders it as
 * `{ "error": { "code", "message" } }`; on a 429, 502 or 503 `retryAfterSeconds` becomes the
 * `Retry-After` header (a default when it is not given, see error-body.ts).
 */
export class AppError extends Error {
  constructor(
    readonly status: HttpStatus,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }

  static badRequest(code: string, message: string, details?: Record<string, unknown>): AppError {
    return new AppError(HttpStatus.BAD_REQUEST, code, message, details);
  }
  static unauthorized(code: string, message: string): AppError {
    return new AppError(HttpStatus.UNAUTHORIZED, code, message);
  }
  static forbidden(code: string, message: string): AppError {
    return new AppError(HttpStatus.FORBIDDEN, code, message);
  }
  static notFound(code: string, message: string): AppError {
    return new AppError(HttpStatus.NOT_FOUND, code, message);
  }
  static conflict(code: string, message: string): AppError {
    return new AppError(HttpStatus.CONFLICT, code, message);
  }
  /** A temporary failure (429, 502, 503): the caller may try again after `retryAfterSeconds`. */
  static retryable(status: HttpStatus.TOO_MANY_REQUESTS | HttpStatus.BAD_GATEWAY | HttpStatus.SERVICE_UNAVAILABLE, code: string, message: string, retryAfterSeconds?: number): AppError {
    return new AppError(status, code, message, undefined, retryAfterSeconds);
  }
}
