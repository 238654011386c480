import http from 'node:http';

/**
 * A raw HTTP client for the fuzz suite. supertest and fetch normalise URLs (`..` segments are
 * resolved, `%` is re-encoded, latin1 bytes are refused), which would hide exactly the inputs
 * under test, so the request line is written as given with node:http.
 */
export interface RawRequest {
  method: string;
  /** Path and query, sent as they are (characters 0x21–0xFF; latin1 characters go out as single bytes). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface RawResponse {
  /** The HTTP status; 0 when the connection failed before an answer, -1 when none came in time. */
  status: number;
  body: string;
  requestId?: string;
  /** The client-side error, when there was no answer. */
  error?: string;
}

export class RawClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  async send(req: RawRequest): Promise<RawResponse> {
    const first = await this.sendOnce(req);
    // The server closes a connection after some refusals (a request line over Node's header limit,
    // bytes its parser rejects); a keep-alive socket it closed while this request was being sent
    // fails with ECONNRESET/EPIPE before any answer. That is the client's race, not the service's
    // answer: send once more, on a new connection (the way Node's docs advise).
    if (first.status === 0 && first.reusedSocket) return this.sendOnce(req);
    return first;
  }

  private sendOnce(req: RawRequest): Promise<RawResponse & { reusedSocket?: boolean }> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (res: RawResponse & { reusedSocket?: boolean }) => {
        if (settled) return;
        settled = true;
        resolve(res);
      };
      const headers: Record<string, string | number> = { ...req.headers };
      if (req.body) headers['content-length'] = req.body.length;
      let outgoing: http.ClientRequest;
      try {
        outgoing = http.request({ host: this.host, port: this.port, method: req.method, path: req.path, headers, agent: this.agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), requestId: res.headers['x-request-id'] as string | undefined }));
          // The server may close while a large body is still being written: the status line already came.
          res.on('error', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), requestId: res.headers['x-request-id'] as string | undefined }));
        });
      } catch (error) {
        // Node refuses to send some request lines at all (it is the client refusing, not the service).
        return finish({ status: 0, body: '', error: `client refused: ${(error as Error).message}` });
      }
      outgoing.setTimeout(this.timeoutMs, () => {
        finish({ status: -1, body: '', error: `no answer within ${this.timeoutMs} ms` });
        outgoing.destroy();
      });
      outgoing.on('error', (error) => finish({ status: 0, body: '', error: (error as NodeJS.ErrnoException).code ?? error.message, reusedSocket: outgoing.reusedSocket }));
      outgoing.end(req.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A one-line description of a request for the failure report: bodies and long paths cut short. */
export function describeRequest(req: RawRequest): string {
  const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);
  const headers = Object.entries(req.headers)
    .map(([k, v]) => (k === 'authorization' || k === 'x-api-key' ? `${k}: ${cut(v, 24)}` : `${k}: ${cut(JSON.stringify(v), 80)}`))
    .join('; ');
  const body = req.body ? ` body(${req.body.length} bytes)=${cut(JSON.stringify(req.body.toString('utf8').slice(0, 400)), 300)}` : '';
  return `${req.method} ${cut(req.path, 200)} [${headers}]${body}`;
}
