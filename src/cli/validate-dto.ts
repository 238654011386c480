import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AppError } from '../infra/errors/app-error.js';
import { describeValidationErrors } from '../infra/errors/validation.js';

/**
 * Checks plain input against a DTO class with the rules of the HTTP validation pipe (unknown
 * fields refused), so that the CLI and the API accept exactly the same things.
 * `label` names a field the way the caller typed it (a CLI flag rather than the JSON name).
 */
export async function validateDto<T extends object>(cls: new () => T, plain: Record<string, unknown>, label: (field: string) => string = (f) => f): Promise<T> {
  const instance = plainToInstance(cls, plain);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length === 0) return instance;
  const fields = describeValidationErrors(errors);
  const message = fields.map((f) => `${label(f.field)}: ${f.problems.join(', ')}`).join('; ');
  throw AppError.badRequest('validation_failed', message, { fields: Object.fromEntries(fields.map((f) => [f.field, f.problems])) });
}
