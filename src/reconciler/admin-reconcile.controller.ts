import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminGuard } from '../infra/auth/admin.guard.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { AdminReconcileDocs } from './admin-reconcile.api-docs.js';
import { ListRunsQuery, StartReconcileDto, toRunView } from './reconcile.dto.js';
import { ReconcileRunsRepository } from './reconcile-runs.repository.js';
import { ReconcilerService } from './reconciler.service.js';
import { Audited } from '../audit/audited.js';

@ApiTags('admin')
@ApiBearerAuth(AUTH_SCHEMES.admin)
@UseGuards(AdminGuard)
@Controller('admin/reconcile-runs')
export class AdminReconcileController {
  constructor(
    private readonly reconciler: ReconcilerService,
    private readonly runs: ReconcileRunsRepository,
  ) {}

  @Post()
  @HttpCode(202)
  @Audited('reconcile.start', { afterIsAnswer: true })
  @AdminReconcileDocs.start()
  async start(@Body() dto: StartReconcileDto, @Res({ passthrough: true }) res: FastifyReply) {
    const { run, done } = await this.reconciler.start({
      scope: dto.scope ?? (dto.account_id ? 'account' : dto.merchant_id ? 'merchant' : 'platform'),
      ...(dto.merchant_id ? { merchantId: dto.merchant_id } : {}),
      ...(dto.account_id ? { accountId: dto.account_id } : {}),
      allowDeletes: dto.allow_deletes ?? false,
      trigger: 'admin',
    });
    if (!dto.wait) {
      done.catch(() => undefined);
      return toRunView(run);
    }
    res.status(200);
    return toRunView(await done);
  }

  @Get()
  @AdminReconcileDocs.list()
  async list(@Query() query: ListRunsQuery) {
    return { data: (await this.runs.list(query.limit ?? 50)).map(toRunView) };
  }

  @Get(':run_id')
  @AdminReconcileDocs.get()
  async get(@Param('run_id') id: string) {
    return toRunView(await this.runs.get(id));
  }
}
