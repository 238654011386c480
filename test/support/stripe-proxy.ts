import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StripeProxy {
  /** Base URL to give the service as STRIPE_API_BASE. */
  url: string;
  /** Port the emulator must listen on (chosen free before the emulator starts). */
  targetPort: number;
  close(): Promise<void>;
}

/**
 * An HTTP proxy between the service and the Stripe emulator that adds headers to the emulator's
 * answers of a given status, e.g. the `Retry-After` real Stripe may send with a 429 (the emulator's
 * faults send none). Everything else passes through unchanged.
 */
export async function startStripeProxy(addHeaders: Record<number, Record<string, string>>): Promise<StripeProxy> {
  const targetPort = await freePort();
  const server = createServer((req, res) => {
    const upstream = request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...(addHeaders[answer.statusCode ?? 0] ?? {}) });
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targetPort, close: () => closeServer(server) };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await closeServer(probe);
  return port;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
