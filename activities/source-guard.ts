/**
 * Protects one connection's source (a small office server, often) and keeps orders from hammering
 * it while it is down:
 *  - at most `maxConcurrent` requests in flight and `perSecond` started each second;
 *  - when a request finds the source unreachable, the guard marks it down and one probe (ping) runs
 *    every `probeIntervalMs`; every other caller waits for that probe instead of calling the source.
 *    The first successful probe lets them all through again.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { TransientError, type SystemName } from '../connectors/errors';
import { RatePacer } from './rate-pacer';

export interface SourceGuardOptions {
  maxConcurrent: number;
  perSecond: number;
  probeIntervalMs?: number;
  /** How long one caller waits for a dead source before giving its retry back to Temporal. */
  maxWaitMs?: number;
}

export interface WaitHooks {
  /** Called while waiting, so a heartbeat keeps the activity alive. */
  onWait?: (details: { waitedMs: number }) => void;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const wanted = new AsyncLocalStorage<() => boolean>();

/** A request whose caller stopped waiting before its turn came: it was not sent. */
export class RequestNotWanted extends Error {}

/**
 * Runs `body` so that each request it makes through a guard is sent only if `stillWanted()` when its
 * turn under the limits comes (a quick raise that handed over sends nothing it queued before).
 */
export function whileWanted<T>(stillWanted: () => boolean, body: () => Promise<T>): Promise<T> {
  return wanted.run(stillWanted, body);
}

function notWantedAnyMore(guard: string): void {
  if (wanted.getStore()?.() === false) throw new RequestNotWanted(`${guard}: a request not sent, its caller stopped waiting for it`);
}

export class SourceGuard {
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly pacer: RatePacer;
  private down = false;
  private lastVerdictAt = 0;
  private probe: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly system: SystemName,
    private readonly ping: () => Promise<void>,
    private readonly options: SourceGuardOptions,
  ) {
    this.pacer = new RatePacer(options.perSecond);
  }

  get isDown(): boolean {
    return this.down;
  }

  /** Down, and known to be so within `withinMs` (an old verdict may be stale: let a real call find out). */
  isKnownDown(withinMs: number): boolean {
    return this.down && Date.now() - this.lastVerdictAt <= withinMs;
  }

  /** One request to the source, within the concurrency and rate limits. */
  async request<T>(call: () => Promise<T>): Promise<T> {
    await this.acquireSlot();
    try {
      notWantedAnyMore(this.name);
      await this.pacer.take();
      notWantedAnyMore(this.name);
      const result = await call();
      this.down = false;
      this.lastVerdictAt = Date.now();
      return result;
    } catch (error) {
      // A request never sent says nothing of the source.
      if (error instanceof RequestNotWanted) throw error;
      // Any answer (a 401, a 404 on the probe's path) proves the source is there: the real call
      // classifies the error; only "unreachable" keeps callers waiting.
      this.down = error instanceof TransientError && error.sourceUnreachable;
      this.lastVerdictAt = Date.now();
      throw error;
    } finally {
      this.releaseSlot();
    }
  }

  /**
   * Runs `unit` (which makes its requests with `request`) and, when it finds the source
   * unreachable, waits for the source to answer a probe and runs it again, from the start: units
   * must be safe to repeat (a raise looks for the order before creating it).
   */
  async whenReachable<T>(unit: () => Promise<T>, hooks: WaitHooks = {}): Promise<T> {
    const started = Date.now();
    const maxWaitMs = this.options.maxWaitMs ?? 50 * 60_000;
    for (;;) {
      await this.waitUntilUp(started, maxWaitMs, hooks);
      try {
        return await unit();
      } catch (error) {
        const unreachable = error instanceof TransientError && error.sourceUnreachable;
        if (!unreachable || Date.now() - started > maxWaitMs) throw error;
      }
    }
  }

  private async waitUntilUp(started: number, maxWaitMs: number, hooks: WaitHooks): Promise<void> {
    const sleep = hooks.sleep ?? defaultSleep;
    while (this.down) {
      const waitedMs = Date.now() - started;
      if (waitedMs > maxWaitMs) {
        throw new TransientError(this.system, 'ping', `${this.name} is still unreachable after ${(waitedMs / 1000).toFixed(1)} s`, {
          sourceUnreachable: true,
        });
      }
      hooks.onWait?.({ waitedMs });
      this.probe ??= this.runProbe().finally(() => {
        this.probe = undefined;
      });
      await Promise.race([this.probe, sleep(1000)]);
    }
  }

  private async runProbe(): Promise<void> {
    await defaultSleep(this.options.probeIntervalMs ?? 2000);
    try {
      await this.request(this.ping);
    } catch {
      // Still down: the next waiter starts the next probe.
    }
  }

  private async acquireSlot(): Promise<void> {
    if (this.inFlight < this.options.maxConcurrent) {
      this.inFlight += 1;
      return;
    }
    await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.inFlight -= 1;
  }
}
