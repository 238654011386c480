import { Global, Module, type DynamicModule } from '@nestjs/common';
import { STRIPE_CONNECTION, StripeGateway, type StripeConnection } from './stripe.gateway.js';

@Global()
@Module({})
export class StripeModule {
  static forRoot(connection: StripeConnection): DynamicModule {
    return {
      module: StripeModule,
      providers: [{ provide: STRIPE_CONNECTION, useValue: connection }, StripeGateway],
      exports: [StripeGateway],
    };
  }
}
