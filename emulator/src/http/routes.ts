// The three route tables: the Stripe API (/v1), the control API (/_emulator) and the hosted pages.
// They belong to the HTTP layer, not to the emulator's state: handlers receive the state
// (http/context.ts), so the state holding the handlers would make the two import each other.
import type { ApiHandler, PlainHandler } from './context.js';
import { Router } from './router.js';

export type ApiRouter = Router<ApiHandler>;
export type PlainRouter = Router<PlainHandler>;

export class RouteTables {
  readonly api: ApiRouter = new Router<ApiHandler>();
  readonly control: PlainRouter = new Router<PlainHandler>();
  readonly pages: PlainRouter = new Router<PlainHandler>();
}
