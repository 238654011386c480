import { Injectable } from '@nestjs/common';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { EventContext, EventHandler } from './event-handler.js';

/**
 * account.application.deauthorized: the connected account left the platform. Its merchant is
 * marked deauthorized and its subscriptions stop granting access (the access query also checks
 * the merchant, so a later event cannot bring access back).
 */
@Injectable()
export class AccountEventsHandler implements EventHandler {
  readonly types = ['account.application.deauthorized'] as const;

  async handle({ event, em }: EventContext): Promise<void> {
    const account = event.account;
    if (!account) return;
    const at = new Date(event.created * 1000);
    const db = em as SqlEntityManager;
    await db.execute(`update merchants set status = 'deauthorized', deauthorized_at = coalesce(deauthorized_at, ?), updated_at = now() where stripe_account_id = ?`, [at, account]);
    await db.execute(
      `update subscriptions set access_until = null, updated_at = now()
       where merchant_id in (select id from merchants where stripe_account_id = ?)
          or (stripe_account = ? )`,
      [account, account],
    );
  }
}
