// Creates the Stripe event for a state change, stores it for `GET /v1/events`, and hands it to
// delivery for every endpoint that wants it. `data.object` is a snapshot at the time of the
// change; `previous_attributes` holds the old values of what changed (see billing/diff.ts).
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import type { EmulatorEvent } from './event-types.js';
import type { Target, WebhookDelivery } from './delivery.js';

export const API_VERSION = '2026-10-28.endive';

/** What publishing needs from the emulator (the emulator itself): kept narrow so that this module does not import emulator.ts, which creates the publisher. */
export interface EventSource {
  readonly clock: { now(): number };
  /** The request being handled, for `event.request`. */
  readonly currentRequest: { id: string; idempotency_key: string | null } | null;
  readonly delivery: Pick<WebhookDelivery, 'enqueue'>;
  webhookTargets(scope: Scope, type: string): Target[];
}

export class EventPublisher {
  /** Bulk seeding turns events off: a benchmark's 100,000 subscriptions need no history. */
  muted = false;

  constructor(private readonly emu: EventSource) {}

  publish(scope: Scope, type: string, object: object, previousAttributes?: object): EmulatorEvent | undefined {
    if (this.muted) return undefined;
    const event: EmulatorEvent = {
      id: newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      // The emulator-wide clock's time even for an object on a test clock (see resources/test-clocks.ts).
      created: this.emu.clock.now(),
      data: {
        object: structuredClone(object),
        ...(previousAttributes ? { previous_attributes: structuredClone(previousAttributes) } : {}),
      },
      livemode: false,
      pending_webhooks: 0,
      request: this.emu.currentRequest ? { ...this.emu.currentRequest } : { id: null, idempotency_key: null },
      type,
      ...(scope.account ? { account: scope.account } : {}),
    };
    scope.events.add(event);
    const targets = this.emu.webhookTargets(scope, type);
    event.pending_webhooks = targets.length;
    const payload = JSON.stringify(event, null, 2);
    for (const target of targets) {
      this.emu.delivery.enqueue(target, event.id, type, payload, () => {
        event.pending_webhooks = Math.max(0, event.pending_webhooks - 1);
      });
    }
    return event;
  }
}
