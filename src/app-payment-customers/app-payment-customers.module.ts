import { Module } from '@nestjs/common';
import { AppPaymentCustomersController } from './app-payment-customers.controller.js';
import { AppPaymentCustomersService } from './app-payment-customers.service.js';

@Module({ controllers: [AppPaymentCustomersController], providers: [AppPaymentCustomersService] })
export class AppPaymentCustomersModule {}
