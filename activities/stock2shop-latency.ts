/**
 * How Stock2Shop answers this process right now, per account (the token a connection calls with):
 * a local activity asks it before its call, and hands a slow or failing Stock2Shop to an activity
 * task at once, so no order holds a workflow-task slot while Stock2Shop takes its time.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Stock2ShopClient } from '../connectors';
import { TransientError } from '../connectors/errors';
import { STOCK2SHOP_SLOW_ERROR_TYPE } from '../contracts/activities';

/** A call slower than this (answered or still in flight), or one that failed transiently, makes the account slow. */
export const SLOW_CALL_MS = 1_000;
/** How long a slow or failed call keeps its account slow. */
export const SLOW_FOR_MS = 10_000;

interface AccountState {
  inFlightSince: Set<number>;
  slowUntil: number;
}

export class Stock2ShopLatency {
  private readonly accounts = new Map<string, AccountState>();

  constructor(private readonly now: () => number = Date.now) {}

  private stateOf(account: string): AccountState {
    let state = this.accounts.get(account);
    if (!state) {
      state = { inFlightSince: new Set(), slowUntil: 0 };
      this.accounts.set(account, state);
    }
    return state;
  }

  /** Why the account is slow now (for the hand-over's message), or undefined when it answers briskly. */
  slowness(account: string): string | undefined {
    const state = this.accounts.get(account);
    if (!state) return undefined;
    const now = this.now();
    if (state.slowUntil > now) return `a call of the last ${SLOW_FOR_MS / 1000} s was slow or failed`;
    for (const since of state.inFlightSince) if (now - since > SLOW_CALL_MS) return `a call has been waiting ${Math.round((now - since) / 1000)} s`;
    return undefined;
  }

  /** Times `call` against the account. */
  async time<T>(account: string, call: () => Promise<T>): Promise<T> {
    const state = this.stateOf(account);
    const started = this.now();
    // Two calls may start in the same millisecond: each keeps its own entry.
    let key = started;
    while (state.inFlightSince.has(key)) key += 0.001;
    state.inFlightSince.add(key);
    // A refusal is an answer; only a failure retries could cure (5xx, 429, no answer) makes the account slow.
    let failed = false;
    try {
      return await call();
    } catch (error) {
      // A call its activity cancelled (a local activity's timeout, a shutdown) says nothing of Stock2Shop.
      failed = error instanceof TransientError && (error.cause as { code?: unknown } | undefined)?.code !== 'ERR_CANCELED';
      throw error;
    } finally {
      state.inFlightSince.delete(key);
      const finished = this.now();
      if (failed || finished - started > SLOW_CALL_MS) state.slowUntil = finished + SLOW_FOR_MS;
    }
  }

  /** The client, every call timed against `account`. */
  watch(client: Stock2ShopClient, account: string): Stock2ShopClient {
    const timed = {} as Record<string, unknown>;
    for (const [name, method] of Object.entries(client) as [string, (...args: unknown[]) => Promise<unknown>][]) {
      timed[name] = (...args: unknown[]) => this.time(account, () => method.apply(client, args));
    }
    return timed as unknown as Stock2ShopClient;
  }

  /** Throws the hand-over failure when the account is slow (a local activity calls it first). */
  handOverIfSlow(account: string): void {
    const why = this.slowness(account);
    if (why === undefined) return;
    throw ApplicationFailure.create({
      type: STOCK2SHOP_SLOW_ERROR_TYPE,
      message: `Stock2Shop is slow for this account (${why}): the call goes on as an activity task`,
      nonRetryable: false,
    });
  }
}
