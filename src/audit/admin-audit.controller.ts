import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../infra/auth/admin.guard.js';
import { AppError } from '../infra/errors/app-error.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { AuditDocs } from './audit.api-docs.js';
import { ListAuditRecordsQuery, toAuditView } from './audit.dto.js';
import { AuditRepository } from './audit.repository.js';

@ApiTags('admin')
@ApiBearerAuth(AUTH_SCHEMES.admin)
@UseGuards(AdminGuard)
@Controller('admin/audit-records')
export class AdminAuditController {
  constructor(private readonly records: AuditRepository) {}

  @Get()
  @AuditDocs.list()
  async list(@Query() query: ListAuditRecordsQuery) {
    if (query.from && query.to && query.from >= query.to) throw AppError.badRequest('invalid_time_range', '`from` must be before `to`.');
    const limit = query.limit ?? 50;
    const { records, hasMore } = await this.records.list({
      ...(query.account_id ? { accountId: query.account_id } : {}),
      ...(query.application_id ? { applicationId: query.application_id } : {}),
      ...(query.actor ? { actorId: query.actor } : {}),
      ...(query.actor_type ? { actorType: query.actor_type } : {}),
      ...(query.action ? { action: query.action } : {}),
      ...(query.outcome ? { outcome: query.outcome } : {}),
      ...(query.request_id ? { requestId: query.request_id } : {}),
      ...(query.from ? { from: query.from } : {}),
      ...(query.to ? { to: query.to } : {}),
      ...(query.cursor ? { before: query.cursor } : {}),
      limit,
    });
    return { data: records.map(toAuditView), next_cursor: hasMore ? String(records.at(-1)!.id) : null };
  }
}
