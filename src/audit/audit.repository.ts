import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { exec } from '../infra/database/sql.js';
import { AuditRecord } from './audit-record.entity.js';

export type NewAuditRecord = Omit<AuditRecord, 'id'>;

export interface AuditFilter {
  accountId?: string;
  applicationId?: string;
  actorId?: string;
  actorType?: string;
  action?: string;
  outcome?: string;
  requestId?: string;
  from?: Date;
  to?: Date;
  /** Records older than this id (the previous page's last one). */
  before?: string;
  limit: number;
}

/** The audit trail's table (`audit_records`): written here only. */
@Injectable()
export class AuditRepository {
  constructor(private readonly em: EntityManager) {}

  async insert(record: NewAuditRecord): Promise<void> {
    await this.em.fork().insert(AuditRecord, record);
  }

  /** Newest first; one more than `limit` is read to know whether there is a next page. */
  async list(filter: AuditFilter): Promise<{ records: AuditRecord[]; hasMore: boolean }> {
    const where: Record<string, unknown> = {};
    if (filter.accountId) where.accountId = filter.accountId;
    if (filter.applicationId) where.applicationId = filter.applicationId;
    if (filter.actorId) where.actorId = filter.actorId;
    if (filter.actorType) where.actorType = filter.actorType;
    if (filter.action) where.action = filter.action;
    if (filter.outcome) where.outcome = filter.outcome;
    if (filter.requestId) where.requestId = filter.requestId;
    if (filter.from || filter.to) where.occurredAt = { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lt: filter.to } : {}) };
    if (filter.before) where.id = { $lt: filter.before };
    const rows = await this.em.fork().find(AuditRecord, where, { orderBy: { id: 'desc' }, limit: filter.limit + 1 });
    return { records: rows.slice(0, filter.limit), hasMore: rows.length > filter.limit };
  }

  /** Deletes the records older than `cutoff`; answers how many. */
  async purgeOlderThan(em: EntityManager, cutoff: Date): Promise<number> {
    const rows = await exec<{ n: number }>(em, 'with gone as (delete from audit_records where occurred_at < ? returning 1) select count(*)::int as n from gone', [cutoff]);
    return rows[0]?.n ?? 0;
  }
}
