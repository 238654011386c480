import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminGuard } from '../infra/auth/admin.guard.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { ListRunsQuery, ReconcileRunView, StartReconcileDto, toRunView } from './reconcile.dto.js';
import { ReconcileRunsRepository } from './reconcile-runs.repository.js';
import { ReconcilerService } from './reconciler.service.js';

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
  @ApiOperation({ operationId: 'admin.reconcile.start', summary: 'Re-sync from Stripe now (platform, one merchant or one account); answers at once unless wait is true' })
  @ApiAcceptedResponse({ type: ReconcileRunView, description: 'Started (202), or finished when wait is true (200)' })
  @ApiConflictResponse({ description: 'reconcile_running: a run of that Stripe account is under way' })
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
  @ApiOperation({ operationId: 'admin.reconcile.list', summary: 'Reconcile runs, newest first' })
  @ApiOkResponse({ type: ReconcileRunView, isArray: true })
  async list(@Query() query: ListRunsQuery) {
    return { data: (await this.runs.list(query.limit ?? 50)).map(toRunView) };
  }

  @Get(':run_id')
  @ApiOperation({ operationId: 'admin.reconcile.get', summary: 'One reconcile run' })
  @ApiOkResponse({ type: ReconcileRunView })
  async get(@Param('run_id') id: string) {
    return toRunView(await this.runs.get(id));
  }
}
