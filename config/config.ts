/**
 * The engine's configuration: the connections file (validated with zod), the secrets it names in
 * environment variables, Stock2Shop's endpoint and token, and the data folder.
 *
 *   CONNECTIONS_FILE  path of the connections file (default: see `chooseConnectionsFile`, the one
 *                     rule `npm start`, the workers and the CLI share)
 *   STOCK2SHOP_URL    Stock2Shop API base URL (each connection names its own token's variable)
 *   DATA_DIR          where the embedded default keeps its files (default: .data)
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { ConnectionSchema, DomainValidationError, type Connection } from '../domain';
import { describeIssue, formatFieldPath } from '../domain/validation';
import type { SourceSecrets, Stock2ShopLogin } from '../connectors';

export const projectRoot = resolve(__dirname, '..');

const ConnectionsFileSchema = z.object({ connections: z.array(z.unknown()) });

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** Which connections file a process uses, and why (see `chooseConnectionsFile`). */
export interface ConnectionsFileChoice {
  path: string;
  /**
   * `CONNECTIONS_FILE`: the variable names it. `own`: `config/connections.json` exists.
   * `demo`: neither, so the demo's connections: the copy `npm start` wrote under the data folder with
   * its simulators' actual URLs (`<DATA_DIR>/connections.demo.json`), else the committed template.
   */
  origin: 'CONNECTIONS_FILE' | 'own' | 'demo';
}

/** The committed demo connections: the simulators on their default ports (the template `npm start` copies). */
export function demoConnectionsTemplatePath(root: string = projectRoot): string {
  return resolve(root, 'config/connections.demo.json');
}

/** Where `npm start` writes the demo connections with its simulators' URLs: `<DATA_DIR>/connections.demo.json`. */
export function demoConnectionsPath(env: NodeJS.ProcessEnv = process.env, root: string = projectRoot): string {
  return join(resolve(root, env.DATA_DIR ?? '.data'), 'connections.demo.json');
}

/**
 * The one rule for the connections file, shared by `npm start`, the workers, the intake and the CLI:
 * 1. `CONNECTIONS_FILE`, when set (a relative path is taken from the project folder);
 * 2. else `config/connections.json`, when it exists (your own connections);
 * 3. else the demo: `<DATA_DIR>/connections.demo.json` when `npm start` wrote it (the demo connections
 *    pointing at the simulators it started, on whatever ports), else `config/connections.demo.json`.
 */
export function chooseConnectionsFile(env: NodeJS.ProcessEnv = process.env, root: string = projectRoot): ConnectionsFileChoice {
  if (env.CONNECTIONS_FILE) return { path: resolve(root, env.CONNECTIONS_FILE), origin: 'CONNECTIONS_FILE' };
  const own = resolve(root, 'config/connections.json');
  if (existsSync(own)) return { path: own, origin: 'own' };
  const written = demoConnectionsPath(env, root);
  return { path: existsSync(written) ? written : demoConnectionsTemplatePath(root), origin: 'demo' };
}

/** The connections file of this process: `chooseConnectionsFile(env).path`. */
export function connectionsFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return chooseConnectionsFile(env).path;
}

/** The URLs of the simulators a demo stack started, which its connections must call. */
export interface DemoSourceUrls {
  omni: string;
  isync: string;
}

/**
 * The demo connections for simulators at `urls`: the template's text with each connection's
 * `endpoint` replaced by the URL of the simulator of its source kind; everything else as it is.
 */
export function demoConnectionsText(templateText: string, urls: DemoSourceUrls): string {
  const file = JSON.parse(templateText) as { connections?: unknown };
  if (!Array.isArray(file.connections)) throw new ConfigurationError('config/connections.demo.json: expected { "connections": [ ... ] }');
  const connections = file.connections.map((entry: unknown) => {
    if (entry === null || typeof entry !== 'object') return entry;
    const kind = (entry as { sourceKind?: unknown }).sourceKind;
    return kind === 'omni' || kind === 'isync' ? { ...entry, endpoint: urls[kind] } : entry;
  });
  return `${JSON.stringify({ ...file, connections }, null, 2)}\n`;
}

/**
 * Writes the demo connections for simulators at `urls` to `demoConnectionsPath(env)` (aside, then
 * renamed: a watching process never reads half a file), and returns its path.
 */
export function writeDemoConnections(urls: DemoSourceUrls, env: NodeJS.ProcessEnv = process.env, root: string = projectRoot): string {
  const path = demoConnectionsPath(env, root);
  const text = demoConnectionsText(readFileSync(demoConnectionsTemplatePath(root), 'utf8'), urls);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
  return path;
}

/**
 * A connection of the file that cannot be used: its id (or `#<position>`), every field that is wrong,
 * and why. Never a value. One per bad connection, however many of its fields are wrong.
 */
export interface ConnectionProblem {
  /** The entry's id, or `#3` (its position in the file, from 1) when it has no usable id. */
  connection: string;
  /** The first wrong field (`fields[0]`). */
  field: string;
  /** Every wrong field of the connection, in the file's order of checks. */
  fields?: string[];
  /** `Connection acme: endpoint: must be an http(s) URL`, or with several: `Connection acme: endpoint: …; pageSize: must be at least 1`. */
  message: string;
}

/** At most this many mistakes of one connection are spelled out (the rest are counted). */
const MAX_MISTAKES_SHOWN = 10;

/** Every mistake of a failed parse, one per field, as `{ field, reason }`. */
function mistakesOf(error: z.ZodError, input: unknown): { field: string; reason: string }[] {
  const byField = new Map<string, string>();
  for (const issue of error.issues) {
    const field = formatFieldPath(issue.path);
    if (!byField.has(field)) byField.set(field, describeIssue(issue, input));
  }
  if (byField.size === 0) return [{ field: '(record)', reason: 'invalid' }];
  return [...byField].map(([field, reason]) => ({ field, reason }));
}

/** What a connections file holds: the connections that validate, and one problem per entry that does not. */
export interface ConnectionsReading {
  connections: Connection[];
  problems: ConnectionProblem[];
}

/** An id as it may be shown: printable and short. */
function shownId(id: unknown, index: number): string {
  if (typeof id !== 'string' || id.trim() === '') return `#${index + 1}`;
  const text = id.replace(/[\u0000-\u001F\u007F]/g, '?');
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** "Expected ',' … in JSON at position 29" → "… (line 3, column 5)": the position a person can find, no quote of the file. */
function jsonErrorText(error: Error, text: string): string {
  const message = error.message.replace(/,? ".*" is not valid JSON$/s, '');
  const position = /at position (\d+)/.exec(message);
  if (!position) return message;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*$/, '')} (line ${line}, column ${column})`;
}

/**
 * Validates a connections file's text entry by entry: each connection on its own (a duplicate id is
 * a problem of the later entry), so one bad entry never hides the others. Throws ConfigurationError
 * only when the file as a whole is unusable (not JSON, not `{ "connections": [ ... ] }`).
 */
export function readConnectionsText(path: string, text: string): ConnectionsReading {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`${path} is not valid JSON: ${jsonErrorText(error as Error, text)}`);
  }
  const file = ConnectionsFileSchema.safeParse(raw);
  if (!file.success) throw new ConfigurationError(`${path}: expected { "connections": [ ... ] }`);
  const connections: Connection[] = [];
  const problems: ConnectionProblem[] = [];
  /** Every id an entry claims, valid or not, and the first entry that claimed it. */
  const claimed = new Map<string, number>();
  file.data.connections.forEach((entry, index) => {
    const id = (entry as { id?: unknown } | null)?.id;
    const shown = shownId(id, index);
    const problem = (mistakes: { field: string; reason: string }[]) => {
      const shownMistakes = mistakes.slice(0, MAX_MISTAKES_SHOWN).map(({ field, reason }) => `${field}: ${reason}`);
      if (mistakes.length > MAX_MISTAKES_SHOWN) shownMistakes.push(`and ${mistakes.length - MAX_MISTAKES_SHOWN} more`);
      const fields = mistakes.map((m) => m.field);
      problems.push({ connection: shown, field: fields[0]!, fields, message: `Connection ${shown}: ${shownMistakes.join('; ')}` });
    };
    if (typeof id === 'string' && claimed.has(id)) {
      return problem([{ field: 'id', reason: `appears twice: entry #${index + 1} repeats the id of entry #${claimed.get(id)! + 1}` }]);
    }
    if (typeof id === 'string') claimed.set(id, index);
    const parsed = ConnectionSchema.safeParse(entry);
    if (parsed.success) return connections.push(parsed.data);
    problem(mistakesOf(parsed.error, entry));
  });
  return { connections, problems };
}

/** Reads a connections file entry by entry (see `readConnectionsText`); throws ConfigurationError when there is no file. */
export function readConnectionsFile(path: string = connectionsFilePath()): ConnectionsReading & { text: string } {
  if (!existsSync(path)) {
    throw new ConfigurationError(`No connections file at ${path}: copy config/connections.example.json there, or set CONNECTIONS_FILE`);
  }
  const text = readFileSync(path, 'utf8');
  return { text, ...readConnectionsText(path, text) };
}

/**
 * Reads and validates the connections file, all or nothing (for the CLI and checks): the error names
 * every bad connection, one a line after the first, each with every wrong field:
 *
 *     <file>: 2 connections have mistakes (fix each; running workers skip a bad connection and serve the others):
 *       Connection acme: endpoint: must be an http(s) URL; pageSize: must be at least 1
 *       Connection #3: id: required
 *
 * Running workers use `ConnectionRegistry` instead, which skips a bad connection and serves the others.
 */
export function loadConnections(path: string = connectionsFilePath()): Connection[] {
  const { connections, problems } = readConnectionsFile(path);
  if (problems.length > 0) throw connectionsFileError(path, problems);
  return connections;
}

/** The error `loadConnections` throws for a file with bad connections: every one, a line each. */
export function connectionsFileError(path: string, problems: readonly ConnectionProblem[]): ConfigurationError {
  const count = problems.length === 1 ? '1 connection has' : `${problems.length} connections have`;
  return new ConfigurationError(
    [`${path}: ${count} mistakes (fix each; running workers skip a bad connection and serve the others):`, ...problems.map((p) => `  ${p.message}`)].join('\n'),
  );
}

function requireEnv(env: NodeJS.ProcessEnv, connection: Connection, variable: string, what: string): string {
  const value = env[variable];
  if (value === undefined) {
    throw new DomainValidationError({
      recordType: 'Connection',
      record: connection.id,
      field: `credentialsRef (${what})`,
      reason: `environment variable ${variable} is not set`,
    });
  }
  return value;
}

/** The secrets of a connection, read from the environment variables it names. */
export function resolveSecrets(connection: Connection, env: NodeJS.ProcessEnv = process.env): SourceSecrets {
  if (connection.sourceKind === 'omni') {
    const ref = connection.credentialsRef;
    return {
      userName: requireEnv(env, connection, ref.omniUser, 'Omni user'),
      // Omni allows an empty password (the "Guest" login on record).
      password: env[ref.omniPassword] ?? '',
      companyName: requireEnv(env, connection, ref.companyName, 'company name'),
    };
  }
  const ref = connection.credentialsRef;
  return {
    userName: requireEnv(env, connection, ref.username, 'username or email'),
    password: requireEnv(env, connection, ref.password, 'password'),
  };
}

/** Stock2Shop's API base URL; the token is per connection (`stock2shop.credentialsRef.token`). */
export function stock2shopEndpointFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const endpoint = env.STOCK2SHOP_URL;
  if (!endpoint) throw new ConfigurationError('Set STOCK2SHOP_URL (Stock2Shop API base URL)');
  return endpoint;
}

/** How a connection logs in to Stock2Shop, from the environment variables it names: a user (renewed), else a fixed token. */
export function stock2shopLoginOf(connection: Connection, env: NodeJS.ProcessEnv = process.env): Stock2ShopLogin {
  const ref = connection.stock2shop.credentialsRef;
  if (ref.username !== undefined && ref.password !== undefined) {
    return {
      kind: 'user',
      username: requireEnv(env, connection, ref.username, 'Stock2Shop user'),
      password: requireEnv(env, connection, ref.password, 'Stock2Shop password'),
    };
  }
  return { kind: 'token', token: requireEnv(env, connection, ref.token!, 'Stock2Shop token') };
}

/** The shortest webhook secret accepted: an HMAC-SHA256 key of fewer bytes is open to guessing. */
export const MIN_WEBHOOK_SECRET_BYTES = 32;

function configuredWebhookSecret(connection: Connection, env: NodeJS.ProcessEnv): { variable: string; value: string } | undefined {
  const variable = connection.stock2shop.credentialsRef.webhookSecret;
  const value = variable === undefined ? undefined : env[variable];
  return variable === undefined || value === undefined || value === '' ? undefined : { variable, value };
}

/**
 * The secret that signs Stock2Shop's webhook calls for this connection's source, when one is configured.
 * A secret shorter than `MIN_WEBHOOK_SECRET_BYTES` is never used (its source's webhooks are refused):
 * a process refuses it at start (`refuseShortWebhookSecrets`), this covers one added to a watched file later.
 */
export function webhookSecretOf(connection: Connection, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const secret = configuredWebhookSecret(connection, env);
  return secret === undefined || Buffer.byteLength(secret.value, 'utf8') < MIN_WEBHOOK_SECRET_BYTES ? undefined : secret.value;
}

/**
 * Refuses, in one line naming each variable and its length (never its value), webhook secrets shorter
 * than 32 bytes: `ACME_S2S_WEBHOOK_SECRET (the webhook secret of connection acme) holds 31 bytes; …`.
 */
export function refuseShortWebhookSecrets(connections: Connection[], env: NodeJS.ProcessEnv = process.env): void {
  const short = connections.flatMap((connection) => {
    const secret = configuredWebhookSecret(connection, env);
    const bytes = secret === undefined ? MIN_WEBHOOK_SECRET_BYTES : Buffer.byteLength(secret.value, 'utf8');
    return bytes < MIN_WEBHOOK_SECRET_BYTES ? [`${secret!.variable} (the webhook secret of connection ${connection.id}) holds ${bytes} bytes`] : [];
  });
  if (short.length === 0) return;
  throw new ConfigurationError(
    `${short.join('; ')}: a webhook secret must be at least ${MIN_WEBHOOK_SECRET_BYTES} bytes (\`openssl rand -base64 32\` makes one); set it in Stock2Shop and here`,
  );
}

/** The variables a connection names for its secrets; also of a raw entry of the file that does not validate. */
function secretVariablesOf(entry: unknown): string[] {
  const at = (...path: string[]) =>
    path.reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), entry);
  const refs = [at('credentialsRef'), at('stock2shop', 'credentialsRef')];
  const names = refs.flatMap((ref) => (ref !== null && typeof ref === 'object' ? Object.values(ref) : []));
  names.push(at('alerts', 'webhookUrlRef'));
  return names.filter((name): name is string => typeof name === 'string');
}

/**
 * `secretValuesOf` for this process: every entry of its connections file, good or bad (a bad one's
 * secrets are secrets too, and it may be corrected while the process runs), and the engine's own.
 */
export function configuredSecretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  let entries: unknown[] = [];
  try {
    const file = JSON.parse(readFileSync(connectionsFilePath(env), 'utf8')) as { connections?: unknown };
    if (Array.isArray(file.connections)) entries = file.connections;
  } catch {
    // No file, or one that does not parse: its loader says why; the engine's own secrets still count.
  }
  return secretValuesOf(entries, env);
}

/** Variables that hold a secret of the engine itself, whatever the connections name. */
const ENGINE_SECRET_VARIABLES = [
  // An alert webhook URL carries its token (Slack's do).
  'ALERT_WEBHOOK_URL',
  'CODEC_SERVER_TOKEN',
  'TEMPORAL_API_KEY',
  // GRANT_SIGNING_KEY_VARIABLE of temporal/agent-grant.ts (a layer above this one).
  'AGENT_GRANT_SIGNING_KEY',
];
/** The central key ring and each connection's own: `PAYLOAD_CODEC_KEYS`, `PAYLOAD_CODEC_KEYS_<CONNECTION_ID>`. */
const KEY_RING_VARIABLE = /^PAYLOAD_CODEC_KEYS(_[A-Z0-9_]+)?$/;

/** The keys of a ring `"<id>:<key>[,<id>:<key>…]"` (the ids are not secret: every payload names its key's). */
function keysOfRing(text: string | undefined): string[] {
  if (!text) return [];
  return text.split(',').map((entry) => entry.trim().slice(entry.trim().indexOf(':') + 1));
}

function fileText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Every secret value the engine reads, the one list of what a log line or an error must never
 * contain, whatever its length: every variable a connection names (its source's credentials, its
 * Stock2Shop token and webhook secret, its alert webhook), the engine's own (ALERT_WEBHOOK_URL,
 * CODEC_SERVER_TOKEN, TEMPORAL_API_KEY, AGENT_GRANT_SIGNING_KEY), the keys of every payload key ring,
 * DATABASE_URL's password, and the demo's key ring and codec token kept under the data folder when
 * no variable replaces them (where temporal/data-converter.ts and `npm start` keep them).
 */
export function secretValuesOf(connections: readonly unknown[], env: NodeJS.ProcessEnv = process.env): string[] {
  const names: (string | undefined)[] = connections.flatMap(secretVariablesOf);
  names.push(...ENGINE_SECRET_VARIABLES);
  const values = names.map((name) => (name === undefined ? undefined : env[name]));
  for (const [name, value] of Object.entries(env)) if (KEY_RING_VARIABLE.test(name)) values.push(...keysOfRing(value));
  values.push(databasePasswordOf(env.DATABASE_URL));
  if (!env.PAYLOAD_CODEC_KEYS) values.push(...keysOfRing(fileText(join(dataDir(env), 'codec', 'demo-keys'))));
  if (!env.CODEC_SERVER_TOKEN) values.push(fileText(join(dataDir(env), 'codec', 'server-token')));
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== ''))];
}

/** The password in DATABASE_URL, if any: a secret like the connections' own. */
function databasePasswordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(projectRoot, env.DATA_DIR ?? '.data');
}
