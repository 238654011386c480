import { Inject, Injectable, Logger } from '@nestjs/common';
import pg from 'pg';
import type { AppConfig } from '../infra/config/config.js';
import { APP_CONFIG } from '../infra/config/config.module.js';

export interface HeldLock {
  release(): Promise<void>;
}

/**
 * One reconcile per Stripe account at a time, across every instance: a PostgreSQL session
 * advisory lock held on a connection of its own for the length of the run (a crash releases it
 * with the connection). The embedded PGlite is one process by nature, so there an in-process set
 * does the same job.
 */
@Injectable()
export class ReconcileLock {
  private readonly local = new Set<string>();
  private readonly logger = new Logger(ReconcileLock.name);

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async tryAcquire(key: string): Promise<HeldLock | undefined> {
    if (this.local.has(key)) return undefined;
    this.local.add(key);
    const releaseLocal = () => void this.local.delete(key);
    if (!this.config.DATABASE_URL) return { release: async () => releaseLocal() };
    const client = new pg.Client({ connectionString: this.config.DATABASE_URL, application_name: 'billing-reconcile-lock' });
    // A connection that ends under the lock (a failover, pg_terminate_backend) emits 'error' on the
    // client; unheard, that event would end the process. The run goes on without the lock: another
    // instance may then start one too, which costs Stripe calls but no correctness (every mirror
    // write takes its object's lock, src/infra/stripe/object-locks.ts).
    client.on('error', (error) => this.logger.warn(`the reconcile lock's connection for ${key} was lost: ${error.message}`));
    try {
      await client.connect();
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtext($1)) as locked', [`reconcile:${key}`]);
      if (!rows[0]?.locked) {
        await client.end();
        releaseLocal();
        return undefined;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      releaseLocal();
      throw error;
    }
    return {
      release: async () => {
        await client.query('select pg_advisory_unlock(hashtext($1))', [`reconcile:${key}`]).catch(() => undefined);
        await client.end().catch(() => undefined);
        releaseLocal();
      },
    };
  }
}
