/**
 * What every call to Stock2Shop goes through, whatever its path: its turn under the account's rate
 * limit (its deadline starting only then: `Transport.deadlineAfterTurn`), the session's token as the `token` query parameter, one renewal when Stock2Shop refuses the
 * token as invalid (401, for a user's session; a fixed token is refused as it is), and a wait of a
 * second (the account's gate slowed to the announced `x-S2S-RateLimit`) when it answers 429 without
 * `Retry-After`, as Stock2Shop does: tried again up to three times before the activity's retry takes over.
 */
import type { AxiosError, InternalAxiosRequestConfig } from 'axios';
import type { Transport } from './http';
import type { SharedToken, Stock2ShopSession } from './stock2shop-session';

/** An account's limit as this process applies it (activities/stock2shop-gate.ts). */
export interface Stock2ShopGate {
  take(): Promise<void>;
  /** Stock2Shop answered 429; `announced` is its `x-S2S-RateLimit`, when it sent a number. */
  limited(announced: number | undefined): void;
}

export const RATE_LIMIT_HEADER = 'x-s2s-ratelimit';
const MAX_RATE_LIMITED_TRIES = 3;

interface CallState {
  token?: SharedToken;
  renewed?: boolean;
  limited?: number;
}
type Config = InternalAxiosRequestConfig & { stock2shop?: CallState; startDeadline?: () => void };

export function announcedLimit(value: unknown): number | undefined {
  const match = /\d+(\.\d+)?/.exec(String(value ?? ''));
  return match ? Number(match[0]) : undefined;
}

export function attachSession(transport: Transport, session: Stock2ShopSession, gate?: Stock2ShopGate): void {
  transport.http.interceptors.request.use(async (config: Config) => {
    // The turn right before the send (no gap for calls to bunch up in), and the deadline only from then.
    await gate?.take();
    config.startDeadline?.();
    const state = (config.stock2shop ??= {});
    state.token = await session.token();
    config.params = { ...(config.params as Record<string, unknown>), token: state.token.token };
    return config;
  });
  transport.http.interceptors.response.use(undefined, async (error: AxiosError) => {
    const config = error.config as Config | undefined;
    const state = config?.stock2shop;
    const status = error.response?.status;
    if (!config || !state) throw error;
    if (status === 401 && !state.renewed && state.token && session.renewable) {
      state.renewed = true;
      await session.renewAfter(state.token);
      return transport.http.request(config);
    }
    // A Retry-After (which Stock2Shop does not send) is the activity retry's to wait out.
    const retryAfter = error.response?.headers['retry-after'];
    if (status === 429 && retryAfter === undefined && (state.limited ?? 0) < MAX_RATE_LIMITED_TRIES) {
      state.limited = (state.limited ?? 0) + 1;
      gate?.limited(announcedLimit(error.response?.headers[RATE_LIMIT_HEADER]));
      if (!gate) await new Promise((resolve) => setTimeout(resolve, 1000));
      return transport.http.request(config);
    }
    throw error;
  });
}
