import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { AppError } from '../infra/errors/app-error.js';

/** A write that breaks a unique constraint (an id or account taken, maybe by a concurrent request) answers 409 `code`. */
export async function orConflict(write: Promise<void>, code: string, message: string): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw AppError.conflict(code, message);
    throw error;
  }
}
