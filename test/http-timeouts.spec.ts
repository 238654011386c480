import { connect, type Socket } from 'node:net';
import { startTestApp, type TestApp } from './support/test-app.js';
import { usingPostgres } from './support/test-database.js';

interface SlowClient {
  /** The status line the server answered with, if it answered. */
  status?: string;
  /** Whether the server ended the connection before the client had sent everything. */
  cutShort: boolean;
}

/**
 * A client that opens a connection and sends `head` then `trickle` one byte every `everyMs`
 * milliseconds (a slowloris). Resolves when the connection ends, however it ends.
 */
function slowClient(port: number, head: string, trickle: string, everyMs: number): Promise<SlowClient> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ ...(received ? { status: received.split('\r\n')[0] } : {}), cutShort: sent < trickle.length });
    });
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent >= trickle.length) {
          clearInterval(timer);
          // Sent in full: the server answers (then we close) if it did not cut us off.
          setTimeout(() => socket.end(), 2000);
          return;
        }
        if (!socket.destroyed) socket.write(trickle[sent++]!);
      }, everyMs);
    });
  });
}

/**
 * A client sending its request a byte at a time must not hold a connection for as long as it likes:
 * the headers and the whole request have their time limits (set short here), then the server
 * answers 408 in the error format, or closes the connection.
 */
describe(`HTTP time limits on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp({ HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_REQUEST_TIMEOUT_MS: '1000' });
    port = Number(new URL(t.baseUrl).port);
  });
  afterAll(() => t?.close());

  it('200 connections sending a body one byte at a time are each cut off with 408 (or closed) before they finish', async () => {
    const body = JSON.stringify({ price_id: 'price_x', padding: 'x'.repeat(60) }); // ~90 bytes: 9 s at 10 bytes a second
    const head = `POST /api/subscriptions/stripe/checkout-session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const clients = await Promise.all(Array.from({ length: 200 }, () => slowClient(port, head, body, 100)));
    for (const client of clients) {
      expect(client.cutShort).toBe(true);
      if (client.status !== undefined) expect(client.status).toMatch(/^HTTP\/1\.1 408 /);
    }
    // The service is still there for everyone else.
    await t.http().get('/health').expect(200);
  });

  it('a client sending its headers one byte at a time gets 408 in the error format', async () => {
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      const headers = 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Slow: ' + 'a'.repeat(100) + '\r\n\r\n';
      let sent = 0;
      const timer = setInterval(() => (sent < headers.length && !socket.destroyed ? socket.write(headers[sent++]!) : clearInterval(timer)), 100);
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        resolve(received);
      });
    });
    expect(raw.split('\r\n')[0]).toMatch(/^HTTP\/1\.1 408 /);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('request_timeout');
  });
});
