/**
 * A Stock2Shop API user's token. Tokens are ephemeral, and a user's login invalidates every earlier
 * token of that user, so every process that calls as one user must share one token: a login happens
 * only when the token it replaces is still the shared one (single flight per user), never twice for
 * one expiry, and a token just obtained that is refused at once is a person's to look at, not a loop.
 *
 * Across processes the token is shared through a `SessionCoordinator` (the shared Postgres:
 * store/stock2shop-sessions.ts); within one, `MemorySessionCoordinator`.
 */
import { z } from 'zod';
import { AuthenticationError } from './errors';
import { createTransport, requestJson } from './http';

export type Stock2ShopLogin = { kind: 'user'; username: string; password: string } | { kind: 'token'; token: string };

/** The token every process of one user holds now, and how many logins of that user came before it. */
export interface SharedToken {
  token: string;
  generation: number;
  /** When its login was made (ms since the epoch). */
  obtainedAt: number;
}

/** More logins than this by one process within the window is not expiry but a fight over the user: stop. */
export const MAX_LOGINS_PER_WINDOW = 3;
export const LOGIN_WINDOW_MS = 10 * 60_000;

export interface SessionCoordinator {
  /** The shared token of `userKey`, if any process obtained one. */
  current(userKey: string): Promise<SharedToken | null>;
  /**
   * Runs `login` once, unless the shared token already moved past `stale` (another process logged in):
   * then that token. Of several callers with the same `stale`, at most one logs in, in all processes.
   */
  renew(userKey: string, stale: SharedToken | null, login: () => Promise<string>): Promise<SharedToken>;
}

/** Runs the tasks of one key one after another (a failed one does not stop the next); keys run side by side. */
export class KeyedQueue {
  private readonly chains = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.chains.get(key) ?? Promise.resolve()).then(task, task);
    this.chains.set(
      key,
      result.catch(() => undefined),
    );
    return result;
  }
}

/** The shared token `now` already replaces the one a caller found invalid (`stale`; null: it had none). */
export function supersedes(now: SharedToken, stale: SharedToken | null): boolean {
  return stale === null || now.generation > stale.generation;
}

/** One process's coordinator: a chain per user, so logins of one user never overlap. */
export class MemorySessionCoordinator implements SessionCoordinator {
  private readonly tokens = new Map<string, SharedToken>();
  private readonly queue = new KeyedQueue();

  async current(userKey: string): Promise<SharedToken | null> {
    return this.tokens.get(userKey) ?? null;
  }

  renew(userKey: string, stale: SharedToken | null, login: () => Promise<string>): Promise<SharedToken> {
    return this.queue.run(userKey, async () => {
      const now = this.tokens.get(userKey) ?? null;
      if (now && supersedes(now, stale)) return now;
      const next = { token: await login(), generation: (now?.generation ?? 0) + 1, obtainedAt: Date.now() };
      this.tokens.set(userKey, next);
      return next;
    });
  }
}

const AuthenticateAnswer = z.union([
  z.looseObject({ system_user: z.looseObject({ token: z.string().min(1) }) }).transform((a) => a.system_user.token),
  z.looseObject({ token: z.string().min(1) }).transform((a) => a.token),
]);

export interface Stock2ShopSessionOptions {
  endpoint: string;
  login: Stock2ShopLogin;
  coordinator: SessionCoordinator;
  timeoutMs?: number;
  /** Told of each login this process makes (a metric, a log line). */
  onLogin?: (username: string) => void;
}

export class Stock2ShopSession {
  /** Every token this session held, for scrubbing from errors. */
  readonly seenTokens: string[] = [];
  private readonly userKey: string;

  constructor(private readonly options: Stock2ShopSessionOptions) {
    this.userKey = options.login.kind === 'user' ? `${options.endpoint}|${options.login.username}` : `${options.endpoint}|token`;
  }

  /** A user's session logs in again; a fixed token cannot. */
  get renewable(): boolean {
    return this.options.login.kind === 'user';
  }

  get describes(): string {
    return this.options.login.kind === 'user' ? `Stock2Shop user ${this.options.login.username}` : 'a fixed Stock2Shop token';
  }

  /** The token to call with: the one this process holds, else the shared one, else a first login. */
  async token(): Promise<SharedToken> {
    if (this.options.login.kind === 'token') return this.remember({ token: this.options.login.token, generation: 0, obtainedAt: 0 });
    if (this.held) return this.held;
    const shared = await this.options.coordinator.current(this.userKey);
    return this.remember(shared ?? (await this.options.coordinator.renew(this.userKey, null, () => this.logIn())));
  }

  /** After Stock2Shop refused `rejected` as invalid: the token another process got since, or one new login. */
  async renewAfter(rejected: SharedToken): Promise<SharedToken> {
    if (this.options.login.kind === 'token') {
      throw new AuthenticationError(
        'stock2shop',
        'token',
        `${this.describes} was refused; a fixed token cannot be renewed: name a username and password instead`,
      );
    }
    const renewed = await this.options.coordinator.renew(this.userKey, rejected, () => this.logIn());
    // The coordinator's answer is the shared token now, whatever generation this process held.
    this.held = renewed;
    return this.remember(renewed);
  }

  private held: SharedToken | undefined;

  private remember(token: SharedToken): SharedToken {
    if (!this.held || token.generation >= this.held.generation) this.held = token;
    if (!this.seenTokens.includes(token.token)) this.seenTokens.push(token.token);
    if (this.seenTokens.length > 8) this.seenTokens.shift();
    return token;
  }

  private readonly loginTimes: number[] = [];

  private async logIn(): Promise<string> {
    const login = this.options.login as Extract<Stock2ShopLogin, { kind: 'user' }>;
    const now = Date.now();
    while (this.loginTimes.length > 0 && this.loginTimes[0]! <= now - LOGIN_WINDOW_MS) this.loginTimes.shift();
    if (this.loginTimes.length >= MAX_LOGINS_PER_WINDOW) {
      // Tokens last hours: logins this close together mean another process logs in as this user (the latest wins).
      throw new AuthenticationError(
        'stock2shop',
        'authenticate',
        `${this.describes} was logged in ${this.loginTimes.length} times in ${LOGIN_WINDOW_MS / 60_000} minutes by this process: another process logs in as this user ` +
          'without sharing its token (an agent, or a central worker without the shared database); give each its own Stock2Shop user (docs/deploy.md)',
      );
    }

    const transport = createTransport('stock2shop', {
      baseURL: this.options.endpoint,
      ...(this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs }),
      secrets: [login.password],
      login: `Stock2Shop user ${login.username}`,
    });
    const token = await requestJson(transport, {
      operation: 'authenticate',
      method: 'POST',
      path: '/users/authenticate',
      body: { system_user_auth: { username: login.username, password: login.password } },
      schema: AuthenticateAnswer,
    });
    // Counted once it succeeded: a Stock2Shop that is down is no fight over the user.
    this.loginTimes.push(Date.now());
    this.options.onLogin?.(login.username);
    return token;
  }
}
