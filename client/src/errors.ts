/**
 * Every failure of a client call, thrown: an answer of the API outside 2xx (with the API's stable
 * `code`), or no answer at all (`network_error`, status 0). A caller needs one `catch` and one
 * `instanceof` to handle both, and `code` to decide.
 */
export class BillingApiError extends Error {
  /** The HTTP status; 0 when no answer came (the server unreachable, the connection dropped). */
  readonly status: number;
  /**
   * The API's stable error code (`price_not_in_catalog`, `owner_role_required`, …). An answer
   * without the API's error body (a proxy's HTML page) gets `http_<status>`; no answer at all,
   * `network_error`.
   */
  readonly code: string;
  /** The request's id, from the `x-request-id` header or the error body: quote it when reporting a problem. */
  readonly requestId: string | undefined;
  /** Seconds to wait before trying again, from `Retry-After` (the API sends it with every 429, 502 and 503). */
  readonly retryAfter: number | undefined;
  /** The error body's `details`, e.g. `{ fields: { quantity: ["..."] } }` of a `validation_failed`. */
  readonly details: Record<string, unknown> | undefined;
  /** The answer's body as received (parsed JSON, or text), for what the fields above leave out. */
  readonly body: unknown;

  constructor(init: { status: number; code: string; message: string; requestId?: string; retryAfter?: number; details?: Record<string, unknown>; body?: unknown; cause?: unknown }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'BillingApiError';
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.retryAfter = init.retryAfter;
    this.details = init.details;
    this.body = init.body;
  }

  /** The error of an answer outside 2xx, from its status, headers and (already parsed) body. */
  static fromResponse(response: Response, body: unknown): BillingApiError {
    const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
    const code = typeof error?.code === 'string' && error.code !== '' ? error.code : `http_${response.status}`;
    const message = typeof error?.message === 'string' && error.message !== '' ? error.message : `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    return new BillingApiError({
      status: response.status,
      code,
      message,
      requestId: response.headers.get('x-request-id') ?? (typeof error?.request_id === 'string' ? error.request_id : undefined),
      retryAfter: parseRetryAfter(response.headers.get('retry-after')),
      details: isRecord(error?.details) ? error.details : undefined,
      body,
    });
  }

  /** No answer: fetch itself failed (DNS, refused connection, CORS refusal in a browser, a reset). */
  static network(cause: unknown): BillingApiError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new BillingApiError({ status: 0, code: 'network_error', message: `The billing API could not be reached: ${reason}`, cause });
  }
}

/**
 * `Retry-After` in seconds: the API sends whole seconds; the HTTP-date form is accepted too and
 * turned into the seconds left (never negative). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
