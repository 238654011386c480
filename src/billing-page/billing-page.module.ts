import { Module } from '@nestjs/common';
import { BillingPageController } from './billing-page.controller.js';

/** The owner's billing page at /billing (README: Billing page). It serves files and holds no state. */
@Module({ controllers: [BillingPageController] })
export class BillingPageModule {}
