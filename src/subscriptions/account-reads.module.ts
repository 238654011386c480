import { Module } from '@nestjs/common';
import { AccountReadsController } from './account-reads.controller.js';
import { AccountReadsRepository } from './account-reads.repository.js';

/**
 * The billing page's reads (catalog, invoices, who the token is), next to the subscription routes
 * under /api/subscriptions. A module of their own so that they add no line to SubscriptionsModule;
 * they read the subscriptions module's tables and the catalog mirror, and write nothing.
 */
@Module({ controllers: [AccountReadsController], providers: [AccountReadsRepository] })
export class AccountReadsModule {}
