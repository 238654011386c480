// Test clocks: create / retrieve / list / delete / advance. Each test clock has a clock of its own
// (emu.testClocks), frozen at its `frozen_time`; the customers created with `test_clock` and all
// their objects live on it (emu.clockOf). Advancing it runs only its own tasks; the emulator-wide
// clock and the other test clocks do not move.
//
// Events are Stripe's own records, made in real time: their `created` is the emulator-wide clock's
// even for objects on a test clock (as PaymentIntents of a clocked subscription carry real time,
// which Stripe confirmed as intended in stripe/stripe-python#1183), while the objects themselves
// (`created`, periods, `status_transitions`, …) carry the test clock's time.
import type Stripe from 'stripe';
import { Clock } from '../billing/clock.js';
import { addUnits } from '../billing/periods.js';
import { recurringOf } from '../billing/subscription-objects.js';
import type { Emulator } from '../emulator.js';
import { errors } from '../http/errors.js';
import { pageOf } from '../http/list.js';
import type { ApiRouter } from '../http/routes.js';
import { newId } from '../store/ids.js';
import type { Scope } from '../store/scope.js';
import { deletedStub } from './common.js';
import { deleteCustomer } from './customers.js';

/** Stripe deletes a test clock (and its objects) this long after creating it (the API reference's example: `deletes_after` = `created` + 7 days); not enforced. */
const LIFETIME = 7 * 86_400;

/**
 * The latest time an advance may reach (Stripe: "Cannot be more than two intervals in the future
 * from the shortest subscription in this test clock. If there are no subscriptions in this test
 * clock, it cannot be more than two years in the future.").
 */
function advanceLimit(scope: Scope, clock: Stripe.TestHelpers.TestClock): { at: number; what: string } {
  let limit = { at: addUnits(clock.frozen_time, 'year', 2), what: 'two years' };
  for (const sub of scope.subscriptions.values()) {
    if (sub.test_clock !== clock.id || sub.status === 'canceled' || sub.status === 'incomplete_expired') continue;
    const { interval, interval_count } = recurringOf(sub);
    const at = addUnits(clock.frozen_time, interval, 2 * interval_count);
    if (at < limit.at) limit = { at, what: `two intervals of its shortest subscription (${interval_count} ${interval})` };
  }
  return limit;
}

export function testClockRoutes(emu: Emulator, r: ApiRouter): void {
  r.add('POST', '/v1/test_helpers/test_clocks', ['frozen_time', 'name'], ({ scope, p }) => {
    const frozen = p.int('frozen_time');
    if (frozen === undefined) throw errors.missing('frozen_time');
    const created = emu.clock.now();
    const clock: Stripe.TestHelpers.TestClock = {
      id: newId('clock'),
      object: 'test_helpers.test_clock',
      created,
      deletes_after: created + LIFETIME,
      frozen_time: frozen,
      livemode: false,
      name: p.str('name') || null,
      status: 'ready',
      status_details: {},
    };
    emu.testClocks.set(clock.id, new Clock(frozen, { frozen: true }));
    scope.testClocks.add(clock);
    emu.events.publish(scope, 'test_helpers.test_clock.created', clock);
    return clock;
  });
  r.add('GET', '/v1/test_helpers/test_clocks/:id', [], ({ scope, params }) => scope.testClocks.require(params.id));
  r.add('GET', '/v1/test_helpers/test_clocks', ['ending_before', 'limit', 'starting_after'], ({ scope, p }) => pageOf(scope.testClocks, p, '/v1/test_helpers/test_clocks'));
  r.add('POST', '/v1/test_helpers/test_clocks/:id/advance', ['frozen_time'], ({ scope, params, p }) => {
    const clock = scope.testClocks.require(params.id);
    const target = p.int('frozen_time');
    if (target === undefined) throw errors.missing('frozen_time');
    if (target <= clock.frozen_time) throw errors.invalid('The frozen_time must be after the current frozen_time of the test clock.', 'frozen_time');
    const limit = advanceLimit(scope, clock);
    if (target > limit.at) {
      throw errors.invalid(`The frozen_time cannot be more than ${limit.what} after the current frozen_time of the test clock (at most ${limit.at}).`, 'frozen_time');
    }
    // Stripe answers `advancing` and finishes later; here the advance is done by the answer, so the
    // caller sees `ready`, after `advancing`, every event of the tasks it ran, and `ready`.
    clock.status = 'advancing';
    clock.status_details = { advancing: { target_frozen_time: target } };
    emu.events.publish(scope, 'test_helpers.test_clock.advancing', clock);
    clock.frozen_time = emu.testClocks.get(clock.id)!.advanceTo(target);
    clock.status = 'ready';
    clock.status_details = {};
    emu.events.publish(scope, 'test_helpers.test_clock.ready', clock);
    return clock;
  });
  // As Stripe: deleting a test clock deletes its customers, and so ends their subscriptions.
  r.add('DELETE', '/v1/test_helpers/test_clocks/:id', [], ({ scope, params }) => {
    const clock = scope.testClocks.require(params.id);
    for (const customer of [...scope.customers.values()]) {
      if (customer.test_clock === clock.id) deleteCustomer(emu, scope, customer);
    }
    emu.testClocks.delete(clock.id);
    scope.testClocks.remove(params.id);
    emu.events.publish(scope, 'test_helpers.test_clock.deleted', clock);
    return deletedStub(params.id, 'test_helpers.test_clock');
  });
}
