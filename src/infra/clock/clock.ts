/**
 * The service's notion of "now". Injected wherever time decides an answer (access periods, trial
 * ends, retry times) so that tests can move it together with the Stripe emulator's clock.
 */
export abstract class Clock {
  abstract now(): Date;

  /** Now as Stripe counts time: whole unix seconds (`created`, versions of mirrored objects). */
  nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

/** A clock that tests (and local mode with the emulator) can set and advance. */
export class AdjustableClock extends Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
  set(date: Date): void {
    this.offsetMs = date.getTime() - Date.now();
  }
}
