import { Clock } from './clock.js';

/**
 * Local mode and tests run against the bundled Stripe emulator, whose clock can be advanced (like
 * Stripe's test clocks). The service then reads time from the same clock, so that an access
 * period ends when the emulator says the period ended.
 */
export class FollowingClock extends Clock {
  constructor(private readonly source: { now(): number }) {
    super();
  }
  now(): Date {
    return new Date(this.source.now() * 1000);
  }
}
