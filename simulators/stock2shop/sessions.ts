/**
 * Stock2Shop's API users, from its side: `POST /v1/users/authenticate` with
 * `{"system_user_auth":{"username","password"}}` hands out a token that is ephemeral (it expires) and
 * that the user's next login invalidates (the latest login wins). Tokens given at start (`tokens`)
 * never expire, for callers of the older kind. Every authenticated call counts against its account's
 * requests per second; beyond it, 429 with `x-S2S-RateLimit` and no `Retry-After`.
 */
import { randomBytes } from 'node:crypto';

export interface SimulatedUser {
  username: string;
  password: string;
  /** The Stock2Shop account (client) the user belongs to; its users share one rate limit. Default `default`. */
  account?: string;
}

export interface SessionOptions {
  users: readonly SimulatedUser[];
  /** Tokens that never expire, each of the account `default`. */
  fixedTokens: readonly string[];
  tokenTtlMs: number;
  /** Authenticated requests per second per account; none: unlimited. */
  rateLimitPerSecond?: number;
  now?: () => number;
}

interface IssuedToken {
  username: string;
  account: string;
  expiresAt: number;
}

export type LoginOutcome = { ok: true; token: string; user: SimulatedUser } | { ok: false; message: string };

export class Stock2ShopSessions {
  private readonly issued = new Map<string, IssuedToken>();
  private readonly latestOf = new Map<string, string>();
  private readonly callsOf = new Map<string, number[]>();
  readonly logins: { username: string; at: number }[] = [];
  private readonly now: () => number;

  constructor(private readonly options: SessionOptions) {
    this.now = options.now ?? Date.now;
  }

  login(body: unknown): LoginOutcome {
    const auth = (body as { system_user_auth?: { username?: unknown; password?: unknown } } | undefined)?.system_user_auth;
    const user = this.options.users.find((u) => u.username === auth?.username && u.password === auth?.password);
    if (!user) return { ok: false, message: 'Invalid username or password' };
    const token = randomBytes(18).toString('base64url');
    const previous = this.latestOf.get(user.username);
    if (previous) this.issued.delete(previous);
    this.issued.set(token, { username: user.username, account: user.account ?? 'default', expiresAt: this.now() + this.options.tokenTtlMs });
    this.latestOf.set(user.username, token);
    this.logins.push({ username: user.username, at: this.now() });
    return { ok: true, token, user };
  }

  /** The account a token is valid for, or undefined (unknown, expired or replaced by a later login). */
  accountOf(token: string | null): string | undefined {
    if (!token) return undefined;
    if (this.options.fixedTokens.includes(token)) return 'default';
    const issued = this.issued.get(token);
    if (!issued || issued.expiresAt <= this.now()) return undefined;
    return issued.account;
  }

  /** Ends every token now (as when they all expire at once). */
  expireAll(): void {
    for (const issued of this.issued.values()) issued.expiresAt = this.now();
  }

  /** Counts a call of `account`; false when it is over the account's limit this second. */
  admit(account: string): boolean {
    const limit = this.options.rateLimitPerSecond;
    if (limit === undefined) return true;
    const now = this.now();
    const recent = (this.callsOf.get(account) ?? []).filter((at) => at > now - 1000);
    if (recent.length >= limit) {
      this.callsOf.set(account, recent);
      return false;
    }
    recent.push(now);
    this.callsOf.set(account, recent);
    return true;
  }

  get rateLimitPerSecond(): number | undefined {
    return this.options.rateLimitPerSecond;
  }
}
