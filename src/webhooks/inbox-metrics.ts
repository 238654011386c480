import { Injectable, type OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { Clock } from '../infra/clock/clock.js';
import { Metrics } from '../infra/metrics/metrics.service.js';
import { WEBHOOK_EVENT_STATES } from './webhook-event.entity.js';
import { InboxRepository } from './inbox.repository.js';

/**
 * The inbox gauges, read from the database at each scrape (one grouped query on the state index)
 * rather than kept by the worker: every instance then reports the same, whole inbox, whichever
 * instances receive and apply.
 */
@Injectable()
export class InboxMetrics implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly inbox: InboxRepository,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.metrics.onScrape('webhook_inbox', async () => {
      const { byState, oldestReceivedAt } = await this.inbox.backlog(this.em.fork());
      // Every unapplied state is reported, 0 when empty, so that a dashboard shows a flat line rather than no data.
      const states = Object.fromEntries(WEBHOOK_EVENT_STATES.filter((s) => s !== 'processed').map((s) => [s, byState[s] ?? 0]));
      const age = oldestReceivedAt ? Math.max(0, (this.clock.now().getTime() - oldestReceivedAt.getTime()) / 1000) : 0;
      this.metrics.setInbox(states, age);
    });
  }
}
