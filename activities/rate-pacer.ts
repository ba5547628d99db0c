/**
 * Requests per second, the one pacing of the engine: each caller is given a start time at least
 * 1/perSecond after the previous one, and a refusal for rate ("429") pushes every later start back.
 * Used by the source guard (a source's limit) and the Stock2Shop gate (an account's limit).
 */
export class RatePacer {
  private nextStartAt = 0;
  /** Callers in the order they came: each is let go at its own slot, none starved by later ones. */
  private readonly waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private perSecond: number) {}

  get rate(): number {
    return this.perSecond;
  }

  /** Waits for this caller's turn: starts are at least 1/perSecond apart as they really happen, first come first served. */
  take(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.letNextGo();
    });
  }

  /** No start before `ms` from now (the other side said "too many"). */
  pause(ms: number): void {
    this.nextStartAt = Math.max(this.nextStartAt, Date.now() + ms);
  }

  /** A lower rate, when the other side announces one. */
  slowTo(perSecond: number): void {
    if (perSecond > 0 && perSecond < this.perSecond) this.perSecond = perSecond;
  }

  private letNextGo(): void {
    if (this.timer || this.waiting.length === 0) return;
    const now = Date.now();
    if (now >= this.nextStartAt) {
      this.nextStartAt = now + 1000 / this.perSecond;
      this.waiting.shift()!();
      this.letNextGo();
      return;
    }
    // Woken late by a busy event loop, the next caller still waits a whole slot after this one.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.letNextGo();
    }, this.nextStartAt - now);
  }
}
