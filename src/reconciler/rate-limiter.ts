/**
 * At most `perSecond` takes in any second: a take waits until the one `perSecond` takes before it
 * is a full second old (a sliding window, so that no second ever sees more, not even the first,
 * as a token bucket's initial burst would allow). Takes are served in order.
 */
export class RateLimiter {
  /** When each of the last `perSecond` takes went through (epoch ms), as a ring. */
  private readonly times: number[] = [];
  private next = 0;
  private turn: Promise<void> = Promise.resolve();

  constructor(private readonly perSecond: number) {}

  take(): Promise<void> {
    const mine = this.turn.then(() => this.wait());
    this.turn = mine;
    return mine;
  }

  private async wait(): Promise<void> {
    const oldest = this.times[this.next];
    if (oldest !== undefined) {
      for (let pause = oldest + 1000 - Date.now(); pause > 0; pause = oldest + 1000 - Date.now()) {
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
    this.times[this.next] = Date.now();
    this.next = (this.next + 1) % this.perSecond;
  }
}
