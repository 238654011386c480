// The HTTP front door: Stripe API under /v1 (bearer auth, Stripe-Account scoping, faults,
// idempotency, expand), the control API under /_emulator (JSON, same bearer), and the
// checkout/portal/invoice pages a person or a test uses (no auth, like Stripe's hosted pages).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Emulator } from '../emulator.js';
import { newId } from '../store/ids.js';
import { API_VERSION } from '../webhooks/events.js';
import { HttpResponse, type ApiContext } from './context.js';
import { errors, StripeApiError } from './errors.js';
import { expand } from './expand.js';
import { parseForm, type FormObject } from './form.js';
import { Params } from './params.js';
import { checkParams, readLog, settleReads } from './strict-params.js';
import type { PlainRouter, RouteTables } from './routes.js';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function bearer(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (!auth) return undefined;
  if (auth.startsWith('Bearer ')) return auth.slice(7).trim();
  if (auth.startsWith('Basic ')) return Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')[0];
  return undefined;
}

function maskKey(key: string): string {
  return key.length > 12 ? `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}` : key;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  res.writeHead(status, { 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function errorResponse(e: unknown): HttpResponse {
  if (e instanceof StripeApiError) return new HttpResponse(e.status, JSON.stringify(e.toJSON()), { 'Content-Type': 'application/json', ...e.headers });
  console.error('[stripe-emulator] internal error', e);
  return new HttpResponse(500, JSON.stringify({ error: { type: 'api_error', message: `Emulator internal error: ${(e as Error).message}` } }), {
    'Content-Type': 'application/json',
  });
}

function decodeBody(raw: string, contentType: string | undefined): { form: FormObject; json: Record<string, unknown> } {
  if (contentType?.includes('application/json')) {
    if (!raw) return { form: {}, json: {} };
    try {
      const json = JSON.parse(raw) as Record<string, unknown>;
      // JSON bodies also feed Params (values stringified) so pages accept either encoding.
      const form: FormObject = {};
      for (const [k, v] of Object.entries(json)) if (v !== null && typeof v !== 'object') form[k] = String(v);
      return { form, json };
    } catch {
      throw errors.invalid('Invalid JSON body.');
    }
  }
  return { form: parseForm(raw), json: {} };
}

export class EmulatorHttpServer {
  readonly server: Server;

  constructor(
    private readonly emu: Emulator,
    private readonly routes: RouteTables,
  ) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        const r = errorResponse(e);
        if (!res.headersSent) send(res, r.status, r.body, r.headers);
      });
    });
    this.server.keepAliveTimeout = 30_000;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const raw = await readBody(req);
    const requestId = newId('req', 14);
    const base = { 'Request-Id': requestId, 'Stripe-Version': API_VERSION };
    let out: HttpResponse;
    try {
      if (path.startsWith('/v1/')) {
        out = await this.api(req, method, path, url, raw, requestId);
      } else if (path.startsWith('/_emulator/')) {
        this.authenticate(req);
        out = await this.plain(this.routes.control, req, method, path, url, raw, true);
      } else {
        out = await this.plain(this.routes.pages, req, method, path, url, raw, false);
      }
    } catch (e) {
      out = errorResponse(e);
    }
    send(res, out.status, out.body, { ...base, ...out.headers });
  }

  private authenticate(req: IncomingMessage): void {
    const key = bearer(req);
    if (!key) {
      throw errors.authentication(
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      );
    }
    if (key !== this.emu.secretKey) throw errors.authentication(`Invalid API Key provided: ${maskKey(key)}`);
  }

  private async api(req: IncomingMessage, method: string, path: string, url: URL, raw: string, requestId: string): Promise<HttpResponse> {
    this.authenticate(req);
    const fault = this.emu.faults.decide(method, path);
    if (fault.latencyMs > 0) await new Promise((r) => setTimeout(r, fault.latencyMs));
    if (fault.kind === 'error') {
      throw fault.status === 429 ? errors.rateLimit(fault.headers) : errors.api(fault.status, fault.headers);
    }
    const account = (req.headers['stripe-account'] as string | undefined) || null;
    const scope = this.emu.scopeFor(account);
    const match = this.routes.api.match(method, path);
    if (!match) throw errors.unknownRoute(method, path);

    const idempotencyKey = method === 'POST' ? (req.headers['idempotency-key'] as string | undefined) : undefined;
    const scopeKey = account ?? 'platform';
    if (idempotencyKey) {
      const replay = this.emu.idempotency.begin(scopeKey, idempotencyKey, `${method} ${path} ${raw}`);
      if (replay) return new HttpResponse(replay.status, replay.body, { ...replay.headers, 'Idempotent-Replayed': 'true', 'Idempotency-Key': idempotencyKey });
    }
    let out: HttpResponse;
    try {
      // Due renewals, expiries and retries happen before the call sees the state, as in Stripe.
      this.emu.clock.runDue();
      const form = method === 'POST' ? parseForm(raw) : parseForm(url.search.slice(1));
      const route = match.handler;
      // Before the handler, as Stripe: an unknown parameter is refused whatever else is wrong, and
      // one the handler does not model is refused rather than ignored (http/strict-params.ts).
      checkParams(method, match.pattern, form, route.modeled);
      const reads = readLog();
      const p = new Params(form, '', reads);
      const ctx: ApiContext = { emu: this.emu, scope, account, method, path, params: match.params, p };
      this.emu.currentRequest = { id: requestId, idempotency_key: idempotencyKey ?? null };
      let result: object;
      try {
        result = await route.handler(ctx);
      } finally {
        this.emu.currentRequest = null;
        settleReads(method, match.pattern, reads, route.modeled);
      }
      const expanded = expand(result, p.strings('expand') ?? [], scope);
      out = new HttpResponse(200, JSON.stringify(expanded), { 'Content-Type': 'application/json' });
    } catch (e) {
      out = errorResponse(e);
    }
    if (idempotencyKey) {
      out.headers['Idempotency-Key'] = idempotencyKey;
      this.emu.idempotency.finish(scopeKey, idempotencyKey, { status: out.status, body: out.body, headers: { ...out.headers } });
    }
    return out;
  }

  private async plain(
    router: PlainRouter,
    req: IncomingMessage,
    method: string,
    path: string,
    url: URL,
    raw: string,
    control: boolean,
  ): Promise<HttpResponse> {
    const match = router.match(method, path);
    if (!match) throw errors.unknownRoute(method, path);
    this.emu.clock.runDue();
    const { form, json } = decodeBody(raw, req.headers['content-type']);
    const query = parseForm(url.search.slice(1));
    const accept = req.headers.accept ?? '';
    const wantsJson = control || accept.includes('application/json') || !accept.includes('text/html');
    const acceptLanguage = req.headers['accept-language'];
    const result = await match.handler({ emu: this.emu, params: match.params, p: new Params({ ...query, ...form }), json, wantsJson, acceptLanguage });
    return result instanceof HttpResponse ? result : HttpResponse.json(200, result);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
