import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Metrics } from './metrics.service.js';

/**
 * The separate listener of METRICS_PORT: GET /metrics only, without a token, for a Prometheus on
 * the internal network (the port is not to be exposed publicly). Everything else is 404 in the
 * service's error format. Started by `createApp` (not by the command-line contexts), closed with
 * the application.
 */
@Injectable()
export class MetricsServer implements OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server?: Server;

  constructor(
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Listens on METRICS_PORT (on HOST) when one is configured; resolves once listening. */
  async listen(): Promise<void> {
    if (this.config.METRICS_PORT === null || this.server) return;
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0]!.replace(/\/$/, '');
      if (req.method === 'GET' && path === '/metrics') {
        this.metrics.render().then(
          (text) => res.writeHead(200, { 'content-type': this.metrics.contentType, 'cache-control': 'no-store' }).end(text),
          (error: unknown) => {
            this.logger.error(`metrics scrape failed: ${(error as Error).message}`);
            res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: { code: 'internal_error', message: 'The metrics could not be rendered.' } }));
          },
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: { code: 'not_found', message: 'This port serves GET /metrics only.' } }));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.METRICS_PORT!, this.config.HOST, () => resolve());
    });
  }

  /** The port listened on (METRICS_PORT=0 picks a free one); undefined when not listening. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
