import { SetMetadata } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';

/** What every audited request has (Fastify's request, as Nest hands it over). */
export interface AuditedRequest {
  id: string;
  method: string;
  params: Record<string, string>;
  body?: unknown;
  query?: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** `R`: the request as the route's guards leave it (the state readers need what they attached). */
export interface AuditSpec<R = AuditedRequest> {
  /** What was done, e.g. `subscription.change` (filterable). */
  action: string;
  /**
   * Reads the stored state the action changes: read before the handler and again after it, so that
   * the record shows what changed. Left out where the action changes nothing we store (a checkout
   * session lives in Stripe) or creates it (then the answer, sanitized, is the state after).
   */
  state?: (refs: ModuleRef, request: R) => Promise<unknown>;
  /** The answer (sanitized) is the state after: for actions that create what they are about. */
  afterIsAnswer?: boolean;
  /** The action creates a merchant or an application: the answer's `id` is the target's. */
  creates?: 'merchant_id' | 'application_id';
}

export const AUDITED = Symbol('audited');

/**
 * Records every call of a route in the audit trail (AuditInterceptor does it): who, what, the state
 * before and after, the request id and the Stripe request ids, and the outcome, failures included.
 * One decorator on each mutating route, so that no service has to know about the trail.
 */
export function Audited<R = AuditedRequest>(action: string, options: Omit<AuditSpec<R>, 'action'> = {}): MethodDecorator {
  return SetMetadata(AUDITED, { action, ...options });
}
