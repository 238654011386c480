// Stripe's error object (`{ error: { type, code, param, message, ... } }`) and the HTTP status
// Stripe pairs with each kind. Handlers throw these; the server turns them into responses.

export type StripeErrorType =
  | 'api_error'
  | 'card_error'
  | 'idempotency_error'
  | 'invalid_request_error'
  | 'authentication_error'
  | 'rate_limit_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  doc_url?: string;
  [extra: string]: unknown;
}

export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }

  toJSON(): { error: StripeErrorBody } {
    return { error: this.body };
  }
}

function withDoc(body: StripeErrorBody): StripeErrorBody {
  return body.code ? { ...body, doc_url: `https://stripe.com/docs/error-codes/${body.code.replace(/_/g, '-')}` } : body;
}

export const errors = {
  invalid(message: string, param?: string, code?: string): StripeApiError {
    return new StripeApiError(400, withDoc({ type: 'invalid_request_error', message, ...(code ? { code } : {}), ...(param ? { param } : {}) }));
  },
  missing(param: string): StripeApiError {
    return errors.invalid(`Missing required param: ${param}.`, param, 'parameter_missing');
  },
  unknownParam(param: string): StripeApiError {
    return errors.invalid(`Received unknown parameter: ${param}`, param, 'parameter_unknown');
  },
  notFound(kind: string, id: string, param = 'id'): StripeApiError {
    return new StripeApiError(404, withDoc({ type: 'invalid_request_error', code: 'resource_missing', param, message: `No such ${kind}: '${id}'` }));
  },
  unknownRoute(method: string, path: string): StripeApiError {
    return new StripeApiError(404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    });
  },
  authentication(message: string): StripeApiError {
    return new StripeApiError(401, { type: 'authentication_error', message });
  },
  permission(message: string, code?: string): StripeApiError {
    // Stripe has no `permission_error` type: a 403 is an invalid_request_error (the SDK goes by the status).
    return new StripeApiError(403, { type: 'invalid_request_error', message, ...(code ? { code } : {}) });
  },
  idempotency(message: string, code?: string, status = 400): StripeApiError {
    return new StripeApiError(status, { type: 'idempotency_error', message, ...(code ? { code } : {}) });
  },
  card(declineCode: string, message: string, extra: Record<string, unknown> = {}): StripeApiError {
    const code = declineCode === 'authentication_required' ? 'authentication_required' : 'card_declined';
    return new StripeApiError(402, withDoc({ type: 'card_error', code, decline_code: declineCode, message, ...extra }));
  },
  rateLimit(headers: Record<string, string>): StripeApiError {
    // Stripe answers rate limiting with type invalid_request_error and code rate_limit.
    return new StripeApiError(
      429,
      withDoc({
        type: 'invalid_request_error',
        code: 'rate_limit',
        message: 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
      }),
      headers,
    );
  },
  api(status = 500, headers: Record<string, string> = {}): StripeApiError {
    return new StripeApiError(status, { type: 'api_error', message: 'An unknown error occurred (injected by the emulator).' }, headers);
  },
  state(message: string, param?: string): StripeApiError {
    return errors.invalid(message, param);
  },
};
