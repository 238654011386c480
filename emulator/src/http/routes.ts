// The three route tables: the Stripe API (/v1), the control API (/_emulator) and the hosted pages.
// They belong to the HTTP layer, not to the emulator's state: handlers receive the state
// (http/context.ts), so the state holding the handlers would make the two import each other.
import type { ApiHandler, PlainHandler } from './context.js';
import { Router, type RouteParams } from './router.js';
import { modeledTree, type ModeledTree } from './strict-params.js';

export type PlainRouter = Router<PlainHandler>;

/** A Stripe API route: its handler and the parameters it models (http/strict-params.ts). */
export interface ApiRoute {
  handler: ApiHandler;
  /** The declared list, as written next to the handler. */
  declared: readonly string[];
  modeled: ModeledTree;
}

export class ApiRouter {
  private readonly router = new Router<ApiRoute>();

  /**
   * `modeled`: the parameters the handler reads (`items[][price]`, `currency_options[*][amount_off]`;
   * a path without declared children is taken whole, as `metadata`). Any other parameter Stripe
   * knows is refused before the handler runs (`parameter_not_modeled`), never silently ignored.
   */
  add(method: string, pattern: string, modeled: readonly string[], handler: ApiHandler): this {
    this.router.add(method, pattern, { handler, declared: modeled, modeled: modeledTree(`${method} ${pattern}`, modeled) });
    return this;
  }

  list(): string[] {
    return this.router.list();
  }

  entries(): { method: string; pattern: string; handler: ApiRoute }[] {
    return this.router.entries();
  }

  match(method: string, path: string): { handler: ApiRoute; params: RouteParams; pattern: string } | undefined {
    return this.router.match(method, path);
  }
}

export class RouteTables {
  readonly api = new ApiRouter();
  readonly control: PlainRouter = new Router<PlainHandler>();
  readonly pages: PlainRouter = new Router<PlainHandler>();
}
