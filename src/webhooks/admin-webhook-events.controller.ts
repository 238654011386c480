import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../infra/auth/admin.guard.js';
import { AUTH_SCHEMES } from '../infra/http/swagger.js';
import { ListWebhookEventsQuery, ReplayResponse, WebhookEventDetailResponse, WebhookEventResponse } from './webhook-events.dto.js';
import { WebhookEventsAdminService } from './webhook-events-admin.service.js';

@ApiTags('admin')
@ApiBearerAuth(AUTH_SCHEMES.admin)
@UseGuards(AdminGuard)
@Controller('admin/webhook-events')
export class AdminWebhookEventsController {
  constructor(private readonly events: WebhookEventsAdminService) {}

  @Get()
  @ApiOperation({ operationId: 'admin.webhookEvents.list', summary: 'List stored webhook events, newest first, by state, type, application or flag' })
  @ApiOkResponse({ type: WebhookEventResponse, isArray: true })
  async list(@Query() query: ListWebhookEventsQuery) {
    return { data: await this.events.list(query) };
  }

  @Get('stats')
  @ApiOperation({ operationId: 'admin.webhookEvents.stats', summary: 'How many events are in each state' })
  @ApiOkResponse({ schema: { example: { received: 0, processed: 120, failed: 1, dead: 0 } } })
  stats() {
    return this.events.stats();
  }

  @Get(':event_id')
  @ApiOperation({ operationId: 'admin.webhookEvents.get', summary: 'Show one event with its payload and last error' })
  @ApiOkResponse({ type: WebhookEventDetailResponse })
  get(@Param('event_id') id: string) {
    return this.events.get(id);
  }

  @Post('replay-dead')
  @HttpCode(200)
  @ApiOperation({ operationId: 'admin.webhookEvents.replayDead', summary: 'Put every dead event back in the queue' })
  @ApiOkResponse({ type: ReplayResponse })
  replayDead() {
    return this.events.replayDead();
  }

  @Post(':event_id/replay')
  @HttpCode(200)
  @ApiOperation({ operationId: 'admin.webhookEvents.replay', summary: 'Put one event back in the queue (applying it again is harmless: older state never wins)' })
  @ApiOkResponse({ type: ReplayResponse })
  replay(@Param('event_id') id: string) {
    return this.events.replay(id);
  }
}
