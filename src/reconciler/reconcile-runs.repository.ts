import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { AppError } from '../infra/errors/app-error.js';
import { ReconcileRun } from './reconcile-run.entity.js';

/** What a finished run records. */
export interface RunOutcome {
  status: 'succeeded' | 'failed';
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  flagged: number;
  stripeCalls: number;
  windows: number;
  emptyWindows: number;
  error: string | null;
}

/**
 * The record of reconcile runs (`reconcile_runs`). Run records are operational history: their
 * times are wall-clock time, like the logs (the service clock may follow an emulator's).
 */
@Injectable()
export class ReconcileRunsRepository {
  constructor(private readonly em: EntityManager) {}

  async start(run: Pick<ReconcileRun, 'scope' | 'merchantId' | 'accountId' | 'trigger' | 'allowDeletes'>): Promise<ReconcileRun> {
    const em = this.em.fork();
    const created = em.create(ReconcileRun, { ...run, status: 'running', startedAt: new Date() });
    await em.flush();
    return created;
  }

  async finish(id: string, outcome: RunOutcome): Promise<ReconcileRun> {
    const em = this.em.fork();
    const stored = await em.findOneOrFail(ReconcileRun, id);
    em.assign(stored, { ...outcome, finishedAt: new Date() });
    await em.flush();
    return stored;
  }

  /** The runs recorded as running (by any instance). */
  async running(): Promise<ReconcileRun[]> {
    return this.em.fork().find(ReconcileRun, { status: 'running' });
  }

  /**
   * Records a run that did not end on its own as failed with `error`, unless it has ended
   * meanwhile; what it had counted is not known here, so its counts stay as recorded.
   */
  async interrupt(id: string, error: string): Promise<void> {
    await this.em.fork().nativeUpdate(ReconcileRun, { id, status: 'running' }, { status: 'failed', error, finishedAt: new Date() });
  }

  /** The latest runs, newest first. */
  async list(limit = 50): Promise<ReconcileRun[]> {
    return this.em.fork().find(ReconcileRun, {}, { orderBy: { startedAt: 'desc', finishedAt: 'desc' }, limit });
  }

  /** One run; 404 `reconcile_run_not_found` when there is none with that id. */
  async get(id: string): Promise<ReconcileRun> {
    const run = /^[0-9a-f-]{36}$/i.test(id) ? await this.em.fork().findOne(ReconcileRun, id) : null;
    if (!run) throw AppError.notFound('reconcile_run_not_found', `No reconcile run "${id}".`);
    return run;
  }
}
