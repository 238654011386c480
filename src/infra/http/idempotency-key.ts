import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';

/**
 * The client's `Idempotency-Key` header, checked: printable ASCII, at most 255 characters (Stripe's
 * limit, since it goes on to Stripe's own idempotency key); undefined when the client sent none.
 * A bad key is 400 `invalid_idempotency_key`, before the handler runs.
 */
export const IdempotencyKey = createParamDecorator((_data: unknown, ctx: ExecutionContext): string | undefined => {
  const key = ctx.switchToHttp().getRequest<FastifyRequest>().headers['idempotency-key'];
  if (key === undefined || key === '') return undefined;
  if (typeof key !== 'string' || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
    throw AppError.badRequest('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 printable characters.');
  }
  return key;
});
