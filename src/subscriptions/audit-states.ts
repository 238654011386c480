import type { ModuleRef } from '@nestjs/core';
import type { AuthenticatedRequest } from '../auth/request.js';
import { SubscriptionsService } from './subscriptions.service.js';
import { TrialsService } from './trials.service.js';

/**
 * The stored state the account's mutations change, read before and after each one for the audit
 * trail (`@Audited(..., { state })`): the account's subscriptions of the application, one of them,
 * or its trial.
 */
type Request = AuthenticatedRequest & { body?: { subscription_id?: unknown } };

export const accountSubscriptions = (refs: ModuleRef, req: Request) => refs.get(SubscriptionsService, { strict: false }).list(req.accountContext!);

export async function oneSubscription(refs: ModuleRef, req: Request) {
  const id = req.params.subscription_id ?? req.body?.subscription_id;
  return (await accountSubscriptions(refs, req)).find((s) => s.id === id) ?? null;
}

export const accountTrial = async (refs: ModuleRef, req: Request) => (await refs.get(TrialsService, { strict: false }).view(req.accountContext!)) ?? null;
