import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AdminAuditController } from './admin-audit.controller.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditRepository } from './audit.repository.js';
import { AuditRetention } from './audit-retention.js';

/** The audit trail: the interceptor that records `@Audited` routes, its admin list and its retention. */
@Module({
  controllers: [AdminAuditController],
  providers: [AuditRepository, AuditRetention, { provide: APP_INTERCEPTOR, useClass: AuditInterceptor }],
})
export class AuditModule {}
