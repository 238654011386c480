import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../infra/auth/admin.guard.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { AdminWebhookEventsDocs } from './admin-webhook-events.api-docs.js';
import { ListWebhookEventsQuery } from './webhook-events.dto.js';
import { WebhookEventsAdminService } from './webhook-events-admin.service.js';
import type { ModuleRef } from '@nestjs/core';
import { Audited } from '../audit/audited.js';

/** Audit state of a replayed event: where it stands in the queue (not its payload). */
async function eventState(refs: ModuleRef, req: { params: Record<string, string | undefined> }) {
  const { state, attempts, last_error, next_attempt_at } = await refs.get(WebhookEventsAdminService, { strict: false }).get(req.params.event_id!);
  return { state, attempts, last_error, next_attempt_at };
}

@ApiTags('admin')
@ApiBearerAuth(AUTH_SCHEMES.admin)
@UseGuards(AdminGuard)
@Controller('admin/webhook-events')
export class AdminWebhookEventsController {
  constructor(private readonly events: WebhookEventsAdminService) {}

  @Get()
  @AdminWebhookEventsDocs.list()
  async list(@Query() query: ListWebhookEventsQuery) {
    return { data: await this.events.list(query) };
  }

  @Get('stats')
  @AdminWebhookEventsDocs.stats()
  stats() {
    return this.events.stats();
  }

  @Get(':event_id')
  @AdminWebhookEventsDocs.get()
  get(@Param('event_id') id: string) {
    return this.events.get(id);
  }

  @Post('replay-dead')
  @HttpCode(200)
  @Audited('webhook-event.replay-dead', { state: (refs) => refs.get(WebhookEventsAdminService, { strict: false }).stats() })
  @AdminWebhookEventsDocs.replayDead()
  replayDead() {
    return this.events.replayDead();
  }

  @Post(':event_id/replay')
  @HttpCode(200)
  @Audited('webhook-event.replay', { state: eventState })
  @AdminWebhookEventsDocs.replay()
  replay(@Param('event_id') id: string) {
    return this.events.replay(id);
  }
}
