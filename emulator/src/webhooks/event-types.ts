// The SDK types each event type separately (a union of hundreds). The emulator builds events
// generically, so it uses Stripe's common event fields with an open `type` and payload.
import type Stripe from 'stripe';

export interface EmulatorEvent extends Omit<Stripe.EventBase, "data" | "type"> {
  type: string;
  data: {
    object: object;
    previous_attributes?: object;
  };
}
