// What a handler gets for one request, and what it may return besides a JSON object.
import type { Emulator } from '../emulator.js';
import type { Scope } from '../store/scope.js';
import type { Params } from './params.js';
import type { RouteParams } from './router.js';

export interface ApiContext {
  emu: Emulator;
  scope: Scope;
  /** The connected account of `Stripe-Account`, or null for the platform. */
  account: string | null;
  method: string;
  path: string;
  params: RouteParams;
  /** Form body for POST, query string for GET and DELETE. */
  p: Params;
}

export type ApiHandler = (ctx: ApiContext) => object | Promise<object>;

export interface PlainContext {
  emu: Emulator;
  params: RouteParams;
  /** Form or JSON body merged over the query string. */
  p: Params;
  /** The decoded JSON body (control API). */
  json: Record<string, unknown>;
  /** The client asked for JSON (`Accept: application/json`) rather than an HTML page. */
  wantsJson: boolean;
  /** The browser's Accept-Language, for the language of the hosted pages. */
  acceptLanguage?: string;
}

/** A non-JSON or non-200 answer. */
export class HttpResponse {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Record<string, string> = {},
  ) {}

  static json(status: number, value: unknown): HttpResponse {
    return new HttpResponse(status, JSON.stringify(value), { 'Content-Type': 'application/json' });
  }

  static html(body: string, status = 200): HttpResponse {
    return new HttpResponse(status, body, { 'Content-Type': 'text/html; charset=utf-8' });
  }

  static redirect(location: string): HttpResponse {
    return new HttpResponse(303, '', { Location: location });
  }
}

export type PlainHandler = (ctx: PlainContext) => object | HttpResponse | Promise<object | HttpResponse>;
