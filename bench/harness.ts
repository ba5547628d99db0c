/**
 * What every benchmark shares: the processes it starts (tracked, and stopped at the end, on Ctrl-C and
 * on an error), a whole stack in one call (a Temporal dev server, simulators, a connections file, the
 * central worker and the Omni agents as their own OS processes, a client and a process sampler), and
 * the small helpers (say, sleep, mapLimit, waitUntil, a memory product store, a valid order).
 *
 *   const stack = await startBenchStack({
 *     label: 'orders',
 *     simulators: [{ name: 'omni', kind: 'omni', items: 100 }],
 *     connections: [{ id: 'omni-1', kind: 'omni', sourceId: 1001, requestLimits: { maxConcurrent: 32, perSecond: 1000 } }],
 *     agents: { slots: 20 },
 *   });
 *   try { … stack.client, stack.stock2shop, stack.sampler … } finally { await stack.stop(); }
 *
 * A benchmark's entry point: `runBench('orders', main)` (errors stop everything and exit 1). Nothing in
 * the engine imports this file.
 */
import { agentPlacement } from '../domain';
import { setupClientNamespaceAt } from '../client/client-namespaces';
import { generateGrantKeys } from '../temporal/agent-grant';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection as ClientConnection } from '@temporalio/client';
import type { Connection, SourceKind } from '../domain';
import { createStock2ShopClient, type SourceSecrets, type Stock2ShopClient } from '../connectors';
import type { ProductStateStore, PushedProduct } from '../store/product-state';
import {
  startISyncSimulator,
  startOmniSimulator,
  startStock2ShopSimulator,
  type ISyncSimulator,
  type OmniSimulator,
  type Stock2ShopOrder,
  type Stock2ShopSimulator,
} from '../simulators';
import { startDevServerProcess, type DevServerOptions, type RunningDevServer } from '../scripts/dev-server';
import { freePort } from '../scripts/ports';
import { generateKeyRingText, parseKeyRing } from '../temporal/payload-codec';
import { engineDataConverter } from '../temporal/data-converter';
import { loadConnections, resolveSecrets } from '../config/config';
import { currentVersionOf, DEFAULT_DEPLOYMENT_NAME } from '../worker/deployment';
import { sizingFromEnv, WORKER_NODE_OPTIONS, workerProcessEnv, type WorkerSizing } from '../worker/sizing';
import { makeOrder } from '../test/helpers/orders';
import { ProcessSampler } from './proc';

export const projectRoot = resolve(__dirname, '..');

// ------------------------------------------------------------------------------------------------ saying

let sayLabel = 'bench';
let clockStart = Date.now();

/** The prefix of `say` lines (`[orders   12s] …`); `resetClock` starts the elapsed seconds again. */
export function setBenchLabel(label: string, { resetClock = false }: { resetClock?: boolean } = {}): void {
  sayLabel = label;
  if (resetClock) clockStart = Date.now();
}

/** Seconds since the program (or `setBenchLabel(…, { resetClock: true })`) started. */
export function benchElapsedSeconds(): number {
  return (Date.now() - clockStart) / 1000;
}

/** One line on stdout: `[<label> <elapsed s>] <line>`. */
export function say(line: string): void {
  process.stdout.write(`[${sayLabel} ${benchElapsedSeconds().toFixed(0).padStart(5)}s] ${line}\n`);
}

export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** Runs `fn` over `items`, at most `limit` at once; the results in the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await fn(items[index]!, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Polls `probe` every `everyMs` until it is true; returns the ms waited, throws naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean> | boolean, everyMs = 1000): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

// --------------------------------------------------------------------------------------------- processes

/** In the order they are stopped: worker processes, then dev servers, then clients and simulators, then temp dirs. */
type Stage = 'process' | 'server' | 'closer' | 'files';
const STAGES: Stage[] = ['process', 'server', 'closer', 'files'];

interface Tracked {
  name: string;
  stage: Stage;
  stop: () => Promise<unknown>;
  /** Last resort at exit (synchronous). */
  kill?: () => void;
}

const tracked = new Set<Tracked>();
const childEntries = new Map<ChildProcess, Tracked>();
/** Children stopped on purpose: their exit is not reported as early. */
const expectedExits = new WeakSet<ChildProcess>();
let stopping: Promise<void> | undefined;
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    // Last resort (an uncaught error, a process.exit): nothing this bench started outlives it.
    for (const entry of tracked) entry.kill?.();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      say(`${signal}: stopping everything this bench started…`);
      void stopEverything().finally(() => process.exit(130));
    });
  }
}

function track(entry: Tracked): Tracked {
  installExitHandlers();
  tracked.add(entry);
  return entry;
}

/** True once `stopEverything` has begun. */
export function isStopping(): boolean {
  return stopping !== undefined;
}

/**
 * Runs `close` when everything stops (or earlier, through the returned function, which also forgets
 * it). `stage` 'closer' (clients, simulators) runs after the worker processes and the dev servers;
 * 'files' (temp dirs) last.
 */
export function onStop(name: string, close: () => Promise<unknown> | void, stage: 'closer' | 'files' = 'closer'): () => Promise<void> {
  let done: Promise<void> | undefined;
  const entry = track({ name, stage, stop: () => (done ??= Promise.resolve().then(close).then(() => undefined)) });
  return async () => {
    tracked.delete(entry);
    await entry.stop();
  };
}

/**
 * `node --import tsx <execArgv…> <args…>` in the project root, its stdout and stderr appended to
 * `logFile`; tracked (stopped by `stopChild`, `stopEverything`, Ctrl-C, an error). An exit that was not
 * asked for is said at once, naming the log.
 */
export function spawnNode(name: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, { execArgv = [] }: { execArgv?: string[] } = {}): ChildProcess {
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', ...execArgv, ...args], { cwd: projectRoot, env, stdio: ['ignore', log, log] });
  closeSync(log);
  const entry = track({
    name,
    stage: 'process',
    stop: () => stopChild(name, child),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  });
  childEntries.set(child, entry);
  child.once('exit', (code, signal) => {
    if (!stopping && !expectedExits.has(child)) say(`!! ${name} (pid ${child.pid}) exited early: code ${code} signal ${signal}; see ${logFile}`);
  });
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. The child is no longer tracked. */
export async function stopChild(name: string, child: ChildProcess, graceMs = 45_000): Promise<void> {
  expectedExits.add(child);
  const entry = childEntries.get(child);
  if (entry) tracked.delete(entry);
  childEntries.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
  clearTimeout(timer);
  if (!done) {
    say(`${name} did not stop within ${graceMs / 1000} s: SIGKILL`);
    child.kill('SIGKILL');
    await exited;
  }
}

/** `startDevServerProcess`, tracked: stopped with everything else (after the workers). Its `stop()` forgets it. */
export async function startTrackedDevServer(
  options: DevServerOptions,
  start: (options: DevServerOptions) => Promise<RunningDevServer> = startDevServerProcess,
): Promise<RunningDevServer> {
  const server = await start(options);
  let stopped: Promise<void> | undefined;
  // SIGTERM and a wait whose timer is cleared (server.stop()'s own 10 s timer would keep this process
  // alive that long after everything stopped); server.stop() is the fallback that SIGKILLs.
  const stopServer = async () => {
    const child = server.process;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
    }
    await server.stop();
  };
  const entry = track({
    name: 'Temporal dev server',
    stage: 'server',
    stop: () => (stopped ??= stopServer()),
    kill: () => {
      if (server.process.exitCode === null && server.process.signalCode === null) server.process.kill('SIGKILL');
    },
  });
  return {
    ...server,
    stop: async () => {
      tracked.delete(entry);
      await entry.stop();
    },
  };
}

/** A new temp dir `<tmp>/<prefix>-XXXXXX`, removed when everything stops unless `keep`. */
export function benchTempDir(prefix: string, { keep = false }: { keep?: boolean } = {}): { dir: string; remove: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const remove = onStop(`temp dir ${dir}`, () => (keep ? undefined : rmSync(dir, { recursive: true, force: true })), 'files');
  return { dir, remove };
}

/** Stops everything still tracked, stage by stage (processes at once, the rest newest first). Once. */
export function stopEverything(): Promise<void> {
  stopping ??= (async () => {
    for (const stage of STAGES) {
      const entries = [...tracked].filter((e) => e.stage === stage).reverse();
      if (stage === 'process') await Promise.all(entries.map((e) => e.stop().catch(() => undefined)));
      else for (const entry of entries) await entry.stop().catch(() => undefined);
      for (const entry of entries) tracked.delete(entry);
    }
  })();
  return stopping;
}

/** A benchmark's entry point: runs `main`, then stops everything; an error is printed, everything stopped, exit 1. */
export function runBench(name: string, main: () => Promise<void>): void {
  setBenchLabel(name);
  main()
    .then(() => stopEverything())
    .catch(async (error: Error) => {
      process.stderr.write(`bench/${name}: ${error.stack ?? error.message}\n`);
      await stopEverything();
      process.exit(1);
    });
}

// ------------------------------------------------------------------------------------------ store, orders

/** A product state store in memory, nothing remembered between passes (a raw full pass's store). */
export class MemoryStore implements ProductStateStore {
  private readonly pushed = new Map<string, PushedProduct>();
  private readonly seen = new Set<string>();
  async lastPushedHashes(_c: string, codes: string[]) {
    const hashes = new Map<string, string>();
    for (const code of codes) {
      const hash = this.pushed.get(code)?.hash;
      if (hash !== undefined) hashes.set(code, hash);
    }
    return hashes;
  }
  async recordPushed(_c: string, products: PushedProduct[]) {
    for (const p of products) this.pushed.set(p.code, p);
  }
  async forget(_c: string, codes: string[]) {
    for (const code of codes) this.pushed.delete(code);
  }
  async markSeen(_c: string, _p: string, codes: string[]) {
    for (const code of codes) this.seen.add(code);
  }
  async unseenInPass() {
    return [...this.pushed.values()].filter((p) => !this.seen.has(p.code));
  }
  async endPass() {
    this.seen.clear();
  }
}

export interface OrderLine {
  sku: string;
  price: number;
}

/** A valid Stock2Shop order (the tests' order, `makeOrder`) for the source `sourceId`; line i has quantity 1 + i % 3. */
export function benchOrder(code: string, sourceId: number, lines: OrderLine[]): Stock2ShopOrder {
  const order = makeOrder(
    code,
    lines.map((line, i) => ({ sku: line.sku, qty: 1 + (i % 3), price: line.price })),
    { shipping: 60 },
  );
  return { ...order, sources: [{ source_id: sourceId }] } as unknown as Stock2ShopOrder;
}

// ------------------------------------------------------------------------------------------------ stack

export interface BenchSimulatorSpec {
  /** What connections name it by (`BenchConnectionSpec.simulator`). */
  name: string;
  kind: SourceKind;
  /** Catalog size. */
  items: number;
  malformed?: number;
  seed?: number;
}

export interface BenchConnectionSpec {
  id: string;
  kind: SourceKind;
  /** The simulator's name; default the first simulator of the connection's kind. */
  simulator?: string;
  /** Stock2Shop's source id (each connection gets its own Stock2Shop token too). */
  sourceId: number;
  /** Default: the connection's default limits (domain/connection.ts). */
  requestLimits?: { maxConcurrent: number; perSecond: number };
  pageSize?: number;
  /** Merged into the connection's entry last (e.g. `syncIntervalMinutes`, `sourceProbeSeconds`, `settings`). */
  extra?: Record<string, unknown>;
  /** The Stock2Shop account's requests per second (default 1000: the benchmarks measure the engine, not that limit). */
  stock2shopRequestsPerSecond?: number;
}

export interface BenchAgentsOptions {
  /** The Omni connections to run agents for; default every Omni connection. */
  connections?: string[];
  /** Activity slots of each agent (`bench/agents.ts --slots`); default the worker sizing's AGENT_ACTIVITY_SLOTS. */
  slots?: number;
  /** How many processes share the agents (default 1). */
  processes?: number;
  /** Node options for the agents processes (e.g. `--cpu-prof`). */
  execArgv?: string[];
}

export interface BenchCentralOptions {
  /** Node options for the central worker (e.g. `['--cpu-prof', '--cpu-prof-dir', dir]`). */
  execArgv?: string[];
}

export interface BenchStackOptions {
  /** Names the temp dir (`s2s-<label>-…`) and the `say` prefix. */
  label: string;
  /** The dev server without the dispatch tuning (`startDevServerProcess({ untuned: true })`). */
  untuned?: boolean;
  /** Keep the temp dir (SQLite file, logs, connections file) after the stop. */
  keep?: boolean;
  /** Where the dev server keeps its SQLite file; default `<temp dir>/temporal.sqlite` (as `npm start`: a file on disk). */
  temporalDbFile?: string;
  /** Starts the dev server (default `startDevServerProcess`); an experiment may pass a variant (e.g. other SQLite pragmas). */
  startDevServer?: (options: DevServerOptions) => Promise<RunningDevServer>;
  simulators: BenchSimulatorSpec[];
  connections: BenchConnectionSpec[];
  /** Added to the workers' environment last (e.g. WORKFLOW_CACHE_SIZE). */
  workerEnv?: Record<string, string>;
  /** Start the central worker (default true). */
  central?: boolean | BenchCentralOptions;
  /** Start the Omni agents (`bench/agents.ts`); default: one process for every Omni connection when there are any. */
  agents?: false | BenchAgentsOptions;
  /** How often the sampler reads /proc (default 5000 ms). */
  sampleEveryMs?: number;
  /** Stock2Shop's own limit per account (429 beyond); default none. */
  stock2shopRateLimitPerSecond?: number;
}

export type BenchSimulator = { name: string; kind: 'omni'; sim: OmniSimulator } | { name: string; kind: 'isync'; sim: ISyncSimulator };

export interface BenchStack {
  label: string;
  /** The temp dir: temporal.sqlite, temporal.log, connections.json, data/, the workers' logs. */
  dir: string;
  /** Its `metricsUrl` is the server's Prometheus endpoint (a free port of its own). */
  devServer: RunningDevServer;
  /** The bench's client, with the engine's data converter (the workers' payload keys). */
  client: Client;
  clientConnection: ClientConnection;
  /** PAYLOAD_CODEC_KEYS of the workers. */
  keyText: string;
  simulators: BenchSimulator[];
  /** The Omni simulator of that name (default: the first). */
  omni(name?: string): OmniSimulator;
  /** The iSync simulator of that name (default: the first). */
  isync(name?: string): ISyncSimulator;
  /** The simulator a connection points at. */
  simulatorOf(connection: Connection | string): BenchSimulator;
  stock2shop: Stock2ShopSimulator;
  connectionsFile: string;
  /** As the workers load them (defaults applied). */
  connections: Connection[];
  connection(id: string): Connection;
  secretsOf(connection: Connection): SourceSecrets;
  /** A Stock2Shop client with the connection's own token (one per connection, reused). */
  stock2shopFor(connection: Connection): Stock2ShopClient;
  /** The workers' environment (this process's minus engine settings, plus the stack's). */
  workerEnv: NodeJS.ProcessEnv;
  sizing: WorkerSizing;
  /** The current worker processes (undefined / empty when not running). */
  central: ChildProcess | undefined;
  agents: ChildProcess[];
  logs: { devServer: string; central: string | undefined; agents: string[] };
  /** How long the last start of each took to be ready, ms. */
  readyMs: { central: number | null; agents: number | null };
  /** central, agents (or agents1, agents2, …), devServer, bench; follows restarts. Started (every `sampleEveryMs`). */
  sampler: ProcessSampler;
  /** (Re)starts the central worker and waits until its version is current. */
  startCentral(options?: BenchCentralOptions): Promise<ChildProcess>;
  /** Stops the central worker (SIGTERM: it shuts down cleanly, so a `--cpu-prof` profile is written). */
  stopCentral(): Promise<void>;
  startAgents(options?: BenchAgentsOptions): Promise<ChildProcess[]>;
  stopAgents(): Promise<void>;
  /** Stops all of it (workers, dev server, client, simulators) and removes the temp dir unless `keep`. */
  stop(): Promise<void>;
}

/** The login every simulated source of a kind shares (the connections name it through environment variables). */
const OMNI_LOGIN = { userName: 'Guest', password: 'bench-omni-password', companyName: 'Bench Trading (PTY) LTD' };
const ISYNC_LOGIN = { userName: 'ops@bench.example', password: 'bench-isync-password' };
const SOURCE_SECRET_ENV: Record<string, string> = {
  BENCH_OMNI_DATABASE: 'OMNIBENCH',
  BENCH_OMNI_COMPANY: OMNI_LOGIN.companyName,
  BENCH_OMNI_DB_USER: 'readonly',
  BENCH_OMNI_DB_PASSWORD: 'bench-readonly',
  BENCH_OMNI_USER: OMNI_LOGIN.userName,
  BENCH_OMNI_PASSWORD: OMNI_LOGIN.password,
  BENCH_ISYNC_USER: ISYNC_LOGIN.userName,
  BENCH_ISYNC_PASSWORD: ISYNC_LOGIN.password,
};

/** The connections-file entry of a bench connection. */
function connectionEntry(spec: BenchConnectionSpec, endpoint: string, tokenVariable: string): Record<string, unknown> {
  const common = {
    id: spec.id,
    name: `Bench ${spec.id}`,
    endpoint,
    // The benchmarks measure the engine, not Stock2Shop's limit (3/s by default), unless a row says so.
    stock2shop: { sourceId: spec.sourceId, credentialsRef: { token: tokenVariable }, requestsPerSecond: spec.stock2shopRequestsPerSecond ?? 1000 },
    ...(spec.requestLimits ? { requestLimits: spec.requestLimits } : {}),
    ...(spec.pageSize !== undefined ? { pageSize: spec.pageSize } : {}),
  };
  const entry =
    spec.kind === 'omni'
      ? {
          ...common,
          sourceKind: 'omni',
          credentialsRef: {
            databaseName: 'BENCH_OMNI_DATABASE',
            companyName: 'BENCH_OMNI_COMPANY',
            databaseUser: 'BENCH_OMNI_DB_USER',
            databasePassword: 'BENCH_OMNI_DB_PASSWORD',
            omniUser: 'BENCH_OMNI_USER',
            omniPassword: 'BENCH_OMNI_PASSWORD',
          },
          settings: {
            param_default_customer_code: 'CASH001',
            param_warehouse_code: '1',
            param_shipping_code: 'SHIP',
            param_default_tax_code: '1',
            param_default_tax_code_exempt: '0',
            param_default_tax_code_shipping: '1',
            param_rep_code: 'Web',
          },
        }
      : {
          ...common,
          sourceKind: 'isync',
          credentialsRef: { username: 'BENCH_ISYNC_USER', password: 'BENCH_ISYNC_PASSWORD' },
          settings: { param_shipping_code: 'SHIP', param_order_line_item: 'ProductStockID' },
        };
  return { ...entry, ...spec.extra };
}

/** This process's environment minus any Temporal or engine settings of the caller's own. */
function inheritedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(TEMPORAL_|CONNECTIONS_FILE$|DATA_DIR$|STOCK2SHOP_URL$|PAYLOAD_CODEC_KEYS$|AGENT_CONNECTION_ID$|METRICS_BIND_ADDRESS$)/.test(name)) continue;
    env[name] = value;
  }
  return env;
}

/**
 * Starts a whole stack: a fresh Temporal dev server (SQLite in a temp dir, free ports), the simulators
 * in this process (Stock2Shop in memory, one token per connection), the connections file, the central
 * worker (`worker/central.ts`, WORKER_PROMOTE_ON_START=true) and the Omni agents (`bench/agents.ts`) as
 * their own processes, a client and a started `ProcessSampler`. Everything is tracked: an error or
 * Ctrl-C stops it too.
 */
export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const label = options.label;
  const { dir, remove } = benchTempDir(`s2s-${label}`, { keep: options.keep ?? false });
  const closers: (() => Promise<void>)[] = [];
  let devServer: RunningDevServer | undefined;
  let central: ChildProcess | undefined;
  let agents: ChildProcess[] = [];
  let sampler: ProcessSampler | undefined;
  let starts = 0;
  const logs: BenchStack['logs'] = { devServer: join(dir, 'temporal.log'), central: undefined, agents: [] };

  const stopWorkers = async () => {
    const running = [...(central ? [['central worker', central] as const] : []), ...agents.map((a, i) => [`agents ${i + 1}`, a] as const)];
    central = undefined;
    agents = [];
    await Promise.all(running.map(([name, child]) => stopChild(name, child)));
  };
  const stop = async () => {
    sampler?.stop();
    await stopWorkers();
    await devServer?.stop();
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await remove();
    if (options.keep) say(`kept ${dir}`);
  };

  try {
    // Simulators, in this process.
    const simulators: BenchSimulator[] = [];
    for (const spec of options.simulators) {
      if (simulators.some((s) => s.name === spec.name)) throw new Error(`two simulators named ${spec.name}`);
      const common = { port: 0, items: spec.items, ...(spec.malformed !== undefined ? { malformed: spec.malformed } : {}), ...(spec.seed !== undefined ? { seed: spec.seed } : {}) };
      const entry: BenchSimulator =
        spec.kind === 'omni'
          ? { name: spec.name, kind: 'omni', sim: await startOmniSimulator({ ...common, ...OMNI_LOGIN }) }
          : { name: spec.name, kind: 'isync', sim: await startISyncSimulator({ ...common, ...ISYNC_LOGIN }) };
      closers.push(onStop(`${spec.kind} simulator ${spec.name}`, () => entry.sim.close()));
      simulators.push(entry);
    }
    const simulatorFor = (spec: BenchConnectionSpec): BenchSimulator => {
      const found = spec.simulator === undefined ? simulators.find((s) => s.kind === spec.kind) : simulators.find((s) => s.name === spec.simulator);
      if (!found) throw new Error(`connection ${spec.id}: no ${spec.simulator ?? spec.kind} simulator`);
      if (found.kind !== spec.kind) throw new Error(`connection ${spec.id} (${spec.kind}) names the ${found.kind} simulator ${found.name}`);
      return found;
    };

    // Tokens, connections file, Stock2Shop.
    const secretEnv: Record<string, string> = { ...SOURCE_SECRET_ENV };
    const tokenOf = new Map<string, string>();
    const simulatorOfId = new Map<string, BenchSimulator>();
    const entries = options.connections.map((spec, i) => {
      const tokenVariable = `BENCH_S2S_TOKEN_${String(i + 1).padStart(3, '0')}`;
      const token = `bench-s2s-${String(i + 1).padStart(3, '0')}-${randomBytes(6).toString('hex')}`;
      secretEnv[tokenVariable] = token;
      tokenOf.set(spec.id, token);
      const simulator = simulatorFor(spec);
      simulatorOfId.set(spec.id, simulator);
      return connectionEntry(spec, simulator.sim.url, tokenVariable);
    });
    // No data dir: orders and products in memory (the file store rewrites orders.json on every change).
    const stock2shop = await startStock2ShopSimulator({
      port: 0,
      tokens: [...tokenOf.values()],
      ...(options.stock2shopRateLimitPerSecond === undefined ? {} : { rateLimitPerSecond: options.stock2shopRateLimitPerSecond }),
    });
    closers.push(onStop('Stock2Shop simulator', () => stock2shop.close()));
    const connectionsFile = join(dir, 'connections.json');
    writeFileSync(connectionsFile, JSON.stringify({ connections: entries }, null, 2));
    const connections = loadConnections(connectionsFile);
    if (connections.length !== entries.length) throw new Error(`the connections file holds ${entries.length} connections, ${connections.length} load`);

    // Temporal.
    const [port, uiPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    devServer = await startTrackedDevServer(
      { dbFile: options.temporalDbFile ?? join(dir, 'temporal.sqlite'), logFile: logs.devServer, port, uiPort, metricsPort, untuned: options.untuned ?? false },
      options.startDevServer,
    );
    const server = devServer;
    // A confined Omni connection's namespace and endpoint, as `clients add` makes them.
    for (const connection of connections) {
      const placement = agentPlacement(connection);
      if (placement) await setupClientNamespaceAt(server.address, placement, { retentionDays: 1 });
    }
    const grantKeys = generateGrantKeys();

    // The workers' environment, and this bench's client.
    const keyText = generateKeyRingText(`bench-${Date.now()}`);
    // As deployed (docs/deploy.md): glibc's malloc tuned unless the caller's environment sets GLIBC_TUNABLES.
    const workerEnv: NodeJS.ProcessEnv = workerProcessEnv({
      ...inheritedEnv(),
      ...secretEnv,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: 'default',
      CONNECTIONS_FILE: connectionsFile,
      DATA_DIR: join(dir, 'data'),
      STOCK2SHOP_URL: stock2shop.apiUrl,
      PAYLOAD_CODEC_KEYS: keyText,
      AGENT_GRANT_SIGNING_KEY: grantKeys.signingKey,
      AGENT_GRANT_VERIFY_KEY: grantKeys.verifyKey,
      WORKER_PROMOTE_ON_START: 'true',
      WORKER_SHUTDOWN_GRACE_SECONDS: '5',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'INFO',
      ...options.workerEnv,
    });
    const sizing = sizingFromEnv(workerEnv);
    const clientConnection = await ClientConnection.connect({ address: server.address });
    closers.push(onStop('bench client', () => clientConnection.close()));
    const client = new Client({ connection: clientConnection, namespace: 'default', dataConverter: engineDataConverter(parseKeyRing(keyText)) });

    const byId = new Map(connections.map((c) => [c.id, c]));
    const stock2shopClients = new Map<string, Stock2ShopClient>();
    const connectionOf = (id: string): Connection => {
      const found = byId.get(id);
      if (!found) throw new Error(`no connection ${id}`);
      return found;
    };

    const startCentral = async (centralOptions: BenchCentralOptions = {}): Promise<ChildProcess> => {
      if (central) await stopChild('central worker', central);
      starts += 1;
      const log = join(dir, `central-${starts}.log`);
      logs.central = log;
      const child = spawnNode('central worker', ['worker/central.ts'], workerEnv, log, { execArgv: [...WORKER_NODE_OPTIONS, ...(centralOptions.execArgv ?? [])] });
      central = child;
      const started = Date.now();
      await waitUntil(`the central worker to make its version current (see ${log})`, 180_000, async () => {
        if (child.exitCode !== null) throw new Error(`the central worker exited (code ${child.exitCode}); see ${log}`);
        if (existsSync(log) && readFileSync(log, 'utf8').includes('Worker Versioning is off')) return true;
        return (await currentVersionOf(clientConnection, 'default', DEFAULT_DEPLOYMENT_NAME)) !== undefined;
      });
      stack.readyMs.central = Date.now() - started;
      return child;
    };

    const stopCentral = async () => {
      const child = central;
      central = undefined;
      if (child) await stopChild('central worker', child);
    };

    const startAgents = async (agentOptions: BenchAgentsOptions = {}): Promise<ChildProcess[]> => {
      await stopAgents();
      const omniIds = agentOptions.connections ?? connections.filter((c) => c.sourceKind === 'omni').map((c) => c.id);
      if (omniIds.length === 0) return [];
      const groups: string[][] = Array.from({ length: Math.max(1, Math.min(agentOptions.processes ?? 1, omniIds.length)) }, () => []);
      omniIds.forEach((id, i) => groups[i % groups.length]!.push(id));
      starts += 1;
      const started = Date.now();
      const running = groups.map((ids, i) => {
        const log = join(dir, `agents-${i + 1}-${starts}.log`);
        const slots = agentOptions.slots === undefined ? [] : ['--slots', String(agentOptions.slots)];
        return { log, child: spawnNode(`agents ${i + 1}`, ['bench/agents.ts', ...slots, ...ids], workerEnv, log, { execArgv: [...WORKER_NODE_OPTIONS, ...(agentOptions.execArgv ?? [])] }) };
      });
      agents = running.map((r) => r.child);
      logs.agents = running.map((r) => r.log);
      await waitUntil(
        'the agents to start (see their logs)',
        180_000,
        () => {
          for (const r of running) if (r.child.exitCode !== null) throw new Error(`an agents process exited; see ${r.log}`);
          return running.every((r) => existsSync(r.log) && readFileSync(r.log, 'utf8').includes('agents ready'));
        },
        500,
      );
      stack.readyMs.agents = Date.now() - started;
      return agents;
    };

    const stopAgents = async () => {
      const running = agents;
      agents = [];
      await Promise.all(running.map((child, i) => stopChild(`agents ${i + 1}`, child)));
    };

    const stack: BenchStack = {
      label,
      dir,
      devServer: server,
      client,
      clientConnection,
      keyText,
      simulators,
      omni(name) {
        const found = simulators.find((s) => s.kind === 'omni' && (name === undefined || s.name === name));
        if (found?.kind !== 'omni') throw new Error(`no Omni simulator${name ? ` ${name}` : ''}`);
        return found.sim;
      },
      isync(name) {
        const found = simulators.find((s) => s.kind === 'isync' && (name === undefined || s.name === name));
        if (found?.kind !== 'isync') throw new Error(`no iSync simulator${name ? ` ${name}` : ''}`);
        return found.sim;
      },
      simulatorOf(connection) {
        const id = typeof connection === 'string' ? connection : connection.id;
        const found = simulatorOfId.get(id);
        if (!found) throw new Error(`no connection ${id}`);
        return found;
      },
      stock2shop,
      connectionsFile,
      connections,
      connection: connectionOf,
      secretsOf: (connection) => resolveSecrets(connection, workerEnv),
      stock2shopFor: (connection) => {
        let s2s = stock2shopClients.get(connection.id);
        if (!s2s) stock2shopClients.set(connection.id, (s2s = createStock2ShopClient({ endpoint: stock2shop.apiUrl, token: tokenOf.get(connection.id)! })));
        return s2s;
      },
      workerEnv,
      sizing,
      get central() {
        return central;
      },
      get agents() {
        return agents;
      },
      logs,
      readyMs: { central: null, agents: null },
      sampler: new ProcessSampler(() => {
        const pids: Record<string, number | undefined> = { central: central?.pid, devServer: server.process.pid, bench: process.pid };
        agents.forEach((a, i) => (pids[agents.length === 1 ? 'agents' : `agents${i + 1}`] = a.pid));
        return pids;
      }),
      startCentral,
      stopCentral,
      startAgents,
      stopAgents,
      stop,
    };
    sampler = stack.sampler;
    say(
      `stack ${label}: Temporal ${server.address}${options.untuned ? ' (untuned)' : ''} (pid ${server.process.pid}, metrics ${server.metricsUrl ?? 'not exposed'}), ` +
        `${simulators.map((s) => `${s.kind} simulator ${s.name} (${s.sim.catalog().length} items)`).join(', ')}, Stock2Shop ${stock2shop.url}; ` +
        `${connections.length} connections; temp dir ${dir}`,
    );

    const centralOptions = options.central ?? true;
    if (centralOptions !== false) {
      await startCentral(centralOptions === true ? {} : centralOptions);
      say(`central worker pid ${central?.pid} ready in ${((stack.readyMs.central ?? 0) / 1000).toFixed(1)} s (log ${logs.central})`);
    }
    if (options.agents !== false && connections.some((c) => c.sourceKind === 'omni')) {
      const started = await startAgents(options.agents ?? {});
      say(`agents ready in ${((stack.readyMs.agents ?? 0) / 1000).toFixed(1)} s: ${started.length} process(es), pids ${started.map((a) => a.pid).join(', ')}`);
    }
    stack.sampler.start(options.sampleEveryMs ?? 5000);
    return stack;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
