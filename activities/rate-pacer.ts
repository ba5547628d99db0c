/**
 * Requests per second, the one pacing of the engine: each caller is given a start time at least
 * 1/perSecond after the previous one, and a refusal for rate ("429") pushes every later start back.
 * Used by the source guard (a source's limit) and the Stock2Shop gate (an account's limit).
 */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class RatePacer {
  private nextStartAt = 0;

  constructor(private perSecond: number) {}

  get rate(): number {
    return this.perSecond;
  }

  /**
   * Waits for this caller's turn: starts are at least 1/perSecond apart as they really happen, so
   * callers a stalled event loop woke late go one by one rather than in a burst.
   */
  async take(): Promise<void> {
    for (;;) {
      const now = Date.now();
      if (now >= this.nextStartAt) {
        this.nextStartAt = now + 1000 / this.perSecond;
        return;
      }
      await sleep(this.nextStartAt - now);
    }
  }

  /** No start before `ms` from now (the other side said "too many"). */
  pause(ms: number): void {
    this.nextStartAt = Math.max(this.nextStartAt, Date.now() + ms);
  }

  /** A lower rate, when the other side announces one. */
  slowTo(perSecond: number): void {
    if (perSecond > 0 && perSecond < this.perSecond) this.perSecond = perSecond;
  }
}
