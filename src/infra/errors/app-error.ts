import { HttpStatus } from '@nestjs/common';

/**
 * The one error type the service throws on purpose: a stable machine-readable code, a message
 * for a person, and the HTTP status. The exception filter renders it as
 * `{ "error": { "code", "message" } }`.
 */
export class AppError extends Error {
  constructor(
    readonly status: HttpStatus,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
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
}
