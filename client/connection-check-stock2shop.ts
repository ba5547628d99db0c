/**
 * Stock2Shop's checks of `connections check`: it accepts the connection's login (its API user, or a
 * fixed token) on a read of the queue summary, and what rate limit it announces (`x-S2S-RateLimit`,
 * which Stock2Shop sends with a 429 only); and the webhook secret is set, long enough.
 *
 * A login ends the user's earlier tokens. With the shared database the check takes the central
 * workers' shared token (and any login it makes is theirs too); without it, its login ends the token
 * of the processes that call as that user (each logs in again once), so it makes at most one per
 * user in 10 minutes: a process that logs in more than 3 times in 10 minutes stops.
 */
import type { AxiosResponse } from 'axios';
import { z } from 'zod';
import {
  announcedLimit,
  AuthenticationError,
  RATE_LIMIT_HEADER,
  Stock2ShopSession,
  TransientError,
  type SessionCoordinator,
  type Stock2ShopLogin,
} from '../connectors';
import { attachSession } from '../connectors/stock2shop-calls';
import { createTransport, requestJson } from '../connectors/http';
import { DomainValidationError, type Connection } from '../domain';
import { MIN_WEBHOOK_SECRET_BYTES, stock2shopLoginOf } from '../config/config';
import type { ConnectionCheckFiles } from '../store/connection-checks';
import { fail, pass, skipped, type CheckLine } from './connection-check-lines';

const NAME = 'Stock2Shop login';
const LOGIN_SPACING_MS = 10 * 60_000;

export interface Stock2ShopCheckOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** The central workers' (the shared database's), or this process's own. */
  coordinator: SessionCoordinator;
  /** The coordinator is the central workers' shared one: its token is theirs, a login is shared. */
  shared: boolean;
  /** When this check last logged in as each user (without the shared database). */
  logins?: ConnectionCheckFiles;
  now?: () => Date;
}

function loginVariables(connection: Connection): string {
  const ref = connection.stock2shop.credentialsRef;
  return ref.username !== undefined && ref.password !== undefined ? `${ref.username} and ${ref.password}` : ref.token!;
}

export async function checkStock2Shop(connection: Connection, options: Stock2ShopCheckOptions): Promise<CheckLine> {
  const endpoint = options.env.STOCK2SHOP_URL;
  if (!endpoint) return fail(NAME, 'STOCK2SHOP_URL is not set', "set it to Stock2Shop's API base URL, with its version (https://app.stock2shop.com/v1)");
  let configured: Stock2ShopLogin;
  try {
    configured = stock2shopLoginOf(connection, options.env);
  } catch (error) {
    if (!(error instanceof DomainValidationError)) throw error;
    return fail(NAME, error.reason, `set ${loginVariables(connection)} in this environment (stock2shop.credentialsRef names them)`);
  }
  const login = configured;
  const now = options.now ?? (() => new Date());
  const user = login.kind === 'user' ? login.username : undefined;
  const spaced = user !== undefined && !options.shared ? options.logins?.lastLoginOf(endpoint, user) : undefined;
  if (spaced && now().getTime() - spaced.getTime() < LOGIN_SPACING_MS) {
    const again = new Date(spaced.getTime() + LOGIN_SPACING_MS).toISOString().slice(11, 16);
    return skipped(
      NAME,
      `not logged in again: this check logged in as ${user} at ${spaced.toISOString().slice(11, 16)} UTC, and each login ends the token of the processes calling as this user`,
      `check again after ${again} UTC`,
    );
  }
  let loggedIn = false;
  const session = new Stock2ShopSession({ endpoint, login, coordinator: options.coordinator, timeoutMs: options.timeoutMs, onLogin: () => (loggedIn = true) });
  let announced: number | undefined;
  const transport = createTransport('stock2shop', {
    baseURL: endpoint,
    timeoutMs: options.timeoutMs,
    secrets: () => session.seenTokens,
    login: session.describes,
  });
  // Before the session's own: it sees every answer, a 429 the session waits out included.
  transport.http.interceptors.response.use(
    (response: AxiosResponse) => ((announced = announcedLimit(response.headers[RATE_LIMIT_HEADER]) ?? announced), response),
    (error: { response?: { headers: Record<string, unknown> } }) => {
      announced = announcedLimit(error.response?.headers[RATE_LIMIT_HEADER]) ?? announced;
      throw error;
    },
  );
  attachSession(transport, session);
  try {
    await requestJson(transport, { operation: 'queueSummary', method: 'GET', path: '/queue/summary', schema: z.unknown() });
  } catch (error) {
    return failed(connection, endpoint, error);
  } finally {
    if (loggedIn && user !== undefined && !options.shared) options.logins?.recordLogin(endpoint, user, now());
  }
  const how = loggedIn
    ? options.shared
      ? ' (logged in now, for the central workers too)'
      : ' (logged in now: the processes calling as this user log in again once)'
    : login.kind === 'user'
      ? " (the central workers' shared token)"
      : '';
  const limit = announced === undefined ? 'not announced (Stock2Shop sends x-S2S-RateLimit with a 429 only)' : `${announced} requests/s announced`;
  const account = connection.stock2shop.account === undefined ? `the account of ${loginVariables(connection)}` : `account ${connection.stock2shop.account}`;
  const pacing = `the connection paces ${account} at ${connection.stock2shop.requestsPerSecond} requests/s`;
  return pass(NAME, `${session.describes} accepted${how}; rate limit: ${limit}; ${pacing}`);
}

function failed(connection: Connection, endpoint: string, error: unknown): CheckLine {
  const message = (error as Error).message;
  if (error instanceof AuthenticationError) {
    const todo =
      connection.stock2shop.credentialsRef.username === undefined
        ? `set ${loginVariables(connection)} to a valid token, or better name username and password variables (a token expires and cannot be renewed)`
        : `set ${loginVariables(connection)} to a Stock2Shop API user's login`;
    return fail(NAME, message, todo);
  }
  if (error instanceof TransientError && error.sourceUnreachable)
    return fail(NAME, message, `check STOCK2SHOP_URL (${endpoint}) and that this machine reaches it`);
  return fail(NAME, message, 'Stock2Shop answered, but not as it should');
}

export function checkWebhookSecret(connection: Connection, env: NodeJS.ProcessEnv): CheckLine {
  const name = 'webhook secret';
  const variable = connection.stock2shop.credentialsRef.webhookSecret;
  const source = `source ${connection.stock2shop.sourceId}`;
  if (variable === undefined) {
    return fail(
      name,
      `the connection names no stock2shop.credentialsRef.webhookSecret: every webhook call for ${source} is refused (the order poll still finds its orders)`,
      'name a variable there and set it to the secret Stock2Shop signs with',
    );
  }
  const value = env[variable];
  if (value === undefined || value === '') return fail(name, `${variable} is not set`, `set it to the secret Stock2Shop signs ${source}'s webhooks with`);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes < MIN_WEBHOOK_SECRET_BYTES) {
    return fail(
      name,
      `${variable} holds ${bytes} bytes, fewer than ${MIN_WEBHOOK_SECRET_BYTES}`,
      'make a longer one (`openssl rand -base64 32`) and set it in Stock2Shop and here',
    );
  }
  return pass(name, `${variable} is set (${bytes} bytes)`);
}
