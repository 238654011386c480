import { HttpStatus } from '@nestjs/common';
import Stripe from 'stripe';
import { AppError } from '../errors/app-error.js';

/**
 * What a Stripe failure means for our caller. Stripe refusing the request (a declined card, a
 * parameter Stripe rejects) is 422; Stripe being unreachable, overloaded or failing is 502/503;
 * a broken key is our fault, not the caller's, and is reported as 502 without details.
 */
export function toAppError(error: unknown): AppError {
  if (!(error instanceof Stripe.errors.StripeError)) {
    return new AppError(HttpStatus.BAD_GATEWAY, 'stripe_unavailable', 'Stripe could not be reached.');
  }
  if (error instanceof Stripe.errors.StripeCardError) {
    return new AppError(HttpStatus.UNPROCESSABLE_ENTITY, 'stripe_card_error', error.message, { stripe_code: error.code, decline_code: error.decline_code });
  }
  if (error instanceof Stripe.errors.StripeIdempotencyError) {
    return new AppError(HttpStatus.CONFLICT, 'idempotency_conflict', 'The same request was already made with other parameters.');
  }
  if (error instanceof Stripe.errors.StripeRateLimitError) {
    // Stripe knows best when its limit frees up: its own Retry-After is passed on to our caller.
    return AppError.retryable(HttpStatus.SERVICE_UNAVAILABLE, 'stripe_rate_limited', 'Stripe is limiting our requests; try again shortly.', retryAfterOf(error));
  }
  if (error instanceof Stripe.errors.StripeConnectionError || error instanceof Stripe.errors.StripeAPIError) {
    return new AppError(HttpStatus.BAD_GATEWAY, 'stripe_unavailable', 'Stripe could not be reached or failed; try again.');
  }
  if (error instanceof Stripe.errors.StripePermissionError && error.code === 'account_invalid') {
    // The key works, but the connected account a merchant names (Stripe-Account, or a destination)
    // does not exist or has revoked the platform's access: the merchant's record is what is wrong.
    // Stripe's own message is not passed on, since it quotes the start of our key. A 409, not a
    // 502: retrying cannot help (Stripe is up and answered), and the merchant record an admin gave
    // is the state that must change, so it is not a fault of the service or of Stripe.
    return new AppError(
      HttpStatus.CONFLICT,
      'stripe_account_inaccessible',
      "Stripe refuses the merchant's connected account: it does not exist or no longer grants this platform access; an operator has to correct the merchant.",
    );
  }
  if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) {
    return new AppError(HttpStatus.BAD_GATEWAY, 'stripe_misconfigured', 'The service cannot use its Stripe account; an operator has to fix its configuration.');
  }
  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    if (error.code === 'resource_missing') {
      return new AppError(HttpStatus.NOT_FOUND, 'stripe_resource_missing', error.message, { param: error.param });
    }
    return new AppError(HttpStatus.UNPROCESSABLE_ENTITY, 'stripe_invalid_request', error.message, { stripe_code: error.code, param: error.param });
  }
  return new AppError(HttpStatus.BAD_GATEWAY, 'stripe_error', 'Stripe answered with an unexpected error.');
}

/** Seconds from a Retry-After header (seconds, or an HTTP date), capped at an hour; undefined when absent or unreadable. */
export function retryAfterOf(error: Stripe.errors.StripeError, now = Date.now()): number | undefined {
  const raw = Object.entries(error.headers ?? {}).find(([name]) => name.toLowerCase() === 'retry-after')?.[1]?.trim();
  if (!raw) return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : (Date.parse(raw) - now) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(3600, Math.ceil(seconds)) : undefined;
}
