import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ValidateIf } from 'class-validator';
import { AppError } from './app-error.js';

/** Flattens class-validator errors into `field: problem` lines, with nested paths (`items.0.price`). */
export function describeValidationErrors(errors: ValidationError[], parent = ''): { field: string; problems: string[] }[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...describeValidationErrors(error.children ?? [], field)];
  });
}

/** Validates and converts every body and query; unknown fields are refused so that typos are not silently ignored. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const fields = describeValidationErrors(errors);
      const message = fields.map((f) => f.problems.join(', ')).join('; ');
      return AppError.badRequest('validation_failed', message || 'The request is not valid.', {
        fields: Object.fromEntries(fields.map((f) => [f.field, f.problems])),
      });
    },
  });
}

/**
 * A field that may be left out, but not sent as `null`: class-validator's `@IsOptional()` skips
 * the checks for `null` too, and the null then reached an entity whose column is not nullable (500).
 * With this, a `null` goes through the field's checks and is refused like any other wrong type.
 */
export const OptionalNotNull = () => ValidateIf((_object: object, value: unknown) => value !== undefined);
