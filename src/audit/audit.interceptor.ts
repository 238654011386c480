import { HttpException, Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { AppError } from '../infra/errors/app-error.js';
import { isDatabaseConnectionError } from '../infra/errors/database-errors.js';
import { STATUS_CODES } from '../infra/errors/error-body.js';
import { collectStripeRequestIds } from '../infra/stripe/stripe-request-ids.js';
import { AuditRepository, type NewAuditRecord } from './audit.repository.js';
import { AUDITED, type AuditedRequest, type AuditSpec } from './audited.js';
import { sanitize, sanitizeObject } from './sanitize.js';

/** What the guards leave on the request (auth/request.ts), as far as the trail needs it. */
interface Principals {
  accountContext?: { accountId: string; subject?: string; roles: string[]; application: { id: string }; merchant: { id: string } };
  partner?: { keyId: string; applicationId: string };
}

/** The CLI says so in these headers (src/cli/admin-client.ts); only admin requests may. */
export const CLI_CHANNEL_HEADER = 'x-audit-channel';
export const CLI_OPERATOR_HEADER = 'x-audit-operator';
const OPERATOR = /^[\w.@+-]{1,64}$/;

/**
 * Writes the audit record of every `@Audited` route. The record is written after the handler, in
 * a statement of its own and not in the handler's transaction: a failed attempt (whose transaction
 * rolled back) is recorded too, and a record that cannot be written (the trail's table locked or
 * full) is logged and does not turn a done mutation into an error. It is awaited before the answer
 * leaves, so that whoever reads the trail after an answer finds its record (one insert, about a
 * millisecond).
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly reflector: Reflector,
    private readonly refs: ModuleRef,
    private readonly records: AuditRepository,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const spec = this.reflector.get<AuditSpec | undefined>(AUDITED, context.getHandler());
    if (!spec || context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuditedRequest & Principals>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const stripeRequestIds: string[] = [];
    return from(collectStripeRequestIds(stripeRequestIds, () => this.run(spec, request, reply, next, stripeRequestIds)));
  }

  private async run(spec: AuditSpec, request: AuditedRequest & Principals, reply: FastifyReply, next: CallHandler, stripeRequestIds: string[]): Promise<unknown> {
    const started = Date.now();
    const before = spec.state ? await this.readState(spec, request) : null;
    try {
      const answer = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const after = spec.afterIsAnswer ? sanitize(answer) : spec.state ? await this.readState(spec, request) : null;
      const createdId = spec.creates && isObject(answer) && typeof answer.id === 'string' ? { [spec.creates]: answer.id } : {};
      await this.write(spec, request, { before, after, stripeRequestIds, outcome: 'success', status: reply.statusCode, errorCode: null, started, createdId });
      return answer;
    } catch (error) {
      const after = spec.state ? await this.readState(spec, request) : null;
      const { status, code } = outcomeOf(error);
      await this.write(spec, request, { before, after, stripeRequestIds, outcome: 'error', status, errorCode: code, started });
      throw error;
    }
  }

  private async readState(spec: AuditSpec, request: AuditedRequest): Promise<unknown> {
    try {
      return sanitize(await spec.state!(this.refs, request));
    } catch {
      // Nothing to read (the target does not exist, the request is refused): the record says null.
      return null;
    }
  }

  private async write(
    spec: AuditSpec,
    request: AuditedRequest & Principals,
    result: Pick<NewAuditRecord, 'before' | 'after' | 'stripeRequestIds' | 'outcome' | 'status' | 'errorCode'> & { started: number; createdId?: Record<string, string> },
  ): Promise<void> {
    const body = isObject(request.body) ? request.body : {};
    const query = isObject(request.query) ? request.query : {};
    const record: NewAuditRecord = {
      occurredAt: new Date(result.started),
      requestId: String(request.id).slice(0, 128),
      ...actorOf(request, result.createdId ?? {}),
      action: spec.action,
      target: { ...targetOf(request.params, body), ...result.createdId },
      params: sanitizeObject({ ...query, ...body }),
      before: result.before ?? null,
      after: result.after ?? null,
      // Copied: a run the request started in the background may still be adding to the list.
      stripeRequestIds: [...new Set(result.stripeRequestIds)],
      outcome: result.outcome,
      status: result.status,
      errorCode: result.errorCode,
      durationMs: Date.now() - result.started,
    };
    try {
      await this.records.insert(record);
    } catch (error) {
      this.logger.error(`audit record of ${spec.action} (request ${record.requestId}) not written: ${(error as Error).message}`);
    }
  }
}

type Actor = Pick<NewAuditRecord, 'actorType' | 'actorId' | 'subject' | 'roles' | 'apiKeyId' | 'channel' | 'operator' | 'applicationId' | 'accountId' | 'merchantId'>;

function actorOf(request: AuditedRequest & Principals, created: Record<string, string>): Actor {
  const body = isObject(request.body) ? request.body : {};
  const account = request.accountContext;
  if (account) {
    return { actorType: 'account', actorId: account.accountId, subject: account.subject ?? null, roles: account.roles, apiKeyId: null, channel: 'api', operator: null, applicationId: account.application.id, accountId: account.accountId, merchantId: account.merchant.id };
  }
  if (request.partner) {
    return { actorType: 'partner', actorId: request.partner.keyId, subject: null, roles: null, apiKeyId: request.partner.keyId, channel: 'api', operator: null, applicationId: request.partner.applicationId, accountId: null, merchantId: null };
  }
  // Every audited route is guarded: with neither an account nor a partner key, it was the admin token.
  const operator = header(request, CLI_OPERATOR_HEADER);
  return {
    actorType: 'admin',
    actorId: 'admin',
    subject: null,
    roles: null,
    apiKeyId: null,
    channel: header(request, CLI_CHANNEL_HEADER) === 'cli' ? 'cli' : 'api',
    operator: operator && OPERATOR.test(operator) ? operator : null,
    applicationId: idOf(request.params.application_id ?? body.application_id ?? created.application_id, 64),
    accountId: idOf(body.account_id, 255),
    merchantId: idOf(request.params.merchant_id ?? body.merchant_id ?? created.merchant_id, 64),
  };
}

/** The ids the request names: its path parameters and the body's `…_id` fields. */
function targetOf(params: Record<string, string>, body: Record<string, unknown>): Record<string, string> {
  const target: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...body, ...params })) {
    if ((name === 'id' || name.endsWith('_id')) && typeof value === 'string') target[name] = String(sanitize(value)).slice(0, 255);
  }
  return target;
}

function idOf(value: unknown, max: number): string | null {
  return typeof value === 'string' && value !== '' ? value.slice(0, max) : null;
}

function header(request: AuditedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The status and code the error answers with (as AllExceptionsFilter renders it). */
function outcomeOf(error: unknown): { status: number; code: string } {
  if (error instanceof AppError) return { status: error.status, code: error.code };
  if (error instanceof HttpException) return { status: error.getStatus(), code: STATUS_CODES[error.getStatus()] ?? 'bad_request' };
  if (isDatabaseConnectionError(error)) return { status: 503, code: 'database_unavailable' };
  return { status: 500, code: 'internal_error' };
}
