// A small method + path-pattern router (`/v1/customers/:id`). Routes are grouped by method and
// segment count so matching stays cheap with a hundred routes.

export type RouteParams = Record<string, string>;

interface Route<H> {
  pattern: string;
  segments: string[];
  handler: H;
}

export class Router<H> {
  private readonly routes = new Map<string, Route<H>[]>();

  add(method: string, pattern: string, handler: H): this {
    const segments = pattern.split('/').filter(Boolean);
    const key = `${method} ${segments.length}`;
    const list = this.routes.get(key) ?? [];
    list.push({ pattern, segments, handler });
    this.routes.set(key, list);
    return this;
  }

  /** Every route as `METHOD /pattern`, in the order added (tests enumerate the API with it). */
  list(): string[] {
    return this.entries().map((r) => `${r.method} ${r.pattern}`);
  }

  /** Every route with its handler, in the order added. */
  entries(): { method: string; pattern: string; handler: H }[] {
    const out: { method: string; pattern: string; handler: H }[] = [];
    for (const [key, routes] of this.routes) for (const r of routes) out.push({ method: key.split(' ')[0], pattern: r.pattern, handler: r.handler });
    return out;
  }

  match(method: string, path: string): { handler: H; params: RouteParams; pattern: string } | undefined {
    const parts = path.split('/').filter(Boolean);
    const candidates = this.routes.get(`${method} ${parts.length}`) ?? [];
    // Literal routes win over parameter routes (`/v1/subscriptions/search` before `/:id`).
    let best: { handler: H; params: RouteParams; pattern: string; literals: number } | undefined;
    for (const route of candidates) {
      const params: RouteParams = {};
      let literals = 0;
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = route.segments[i];
        if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(parts[i]);
        else if (seg === parts[i]) literals++;
        else {
          ok = false;
          break;
        }
      }
      if (ok && (!best || literals > best.literals)) best = { handler: route.handler, params, pattern: route.pattern, literals };
    }
    return best && { handler: best.handler, params: best.params, pattern: best.pattern };
  }

  /** True when the path exists for some other method (Stripe still answers 404 then). */
  hasPath(path: string): boolean {
    const parts = path.split('/').filter(Boolean).length;
    for (const key of this.routes.keys()) if (key.endsWith(` ${parts}`)) return true;
    return false;
  }
}
