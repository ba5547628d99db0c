/**
 * Runs the Temporal dev server (`temporal server start-dev`) as a child process, with its SQLite
 * file in the project's data folder, so a restart keeps every workflow's history, and the project's
 * search attributes registered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { projectSearchAttributes } from '../contracts/search-attributes';
import { ensureTemporalBinaries } from './temporal-binaries';

export interface DevServerOptions {
  dbFile: string;
  logFile: string;
  /** gRPC and the Web UI bind here (default 127.0.0.1, loopback only). */
  ip?: string;
  port?: number;
  uiPort?: number;
  namespace?: string;
  /**
   * The codec server the Web UI decodes payloads through. It must carry no secret: it is on this
   * process's command line and in the Web UI's unauthenticated `/api/v1/settings`.
   */
  uiCodecEndpoint?: string;
  /**
   * Run the server as it comes (task dispatch in ≈ 50 ms steps, SQLite synced at every commit) instead
   * of the local engine's tuning (LOCAL_ENGINE_DYNAMIC_CONFIG, LOCAL_ENGINE_SQLITE_PRAGMAS); the
   * benchmarks use it to show the design does not depend on tuning.
   */
  untuned?: boolean;
  /**
   * The port of the server's Prometheus `/metrics` endpoint (`--metrics-port`), bound to `ip`. Unset:
   * the CLI's own default (a random free port, not told to anyone).
   */
  metricsPort?: number;
}

/**
 * The dev server's history service moves tasks to their queues at most 20 times a second by default
 * (`history.transferProcessorMaxPollRPS`), so every activity on another task queue waits ≈ 50 ms to be
 * dispatched and its workflow task as long again. A production cluster is configured by its operator;
 * for the one-machine engine `npm start` runs, dispatching as fast as work arrives is the honest
 * default. Measured in docs/benchmarks.md (a no-op activity on another queue: ≈ 100 ms → ≈ 11 ms).
 */
export const LOCAL_ENGINE_DYNAMIC_CONFIG: Readonly<Record<string, number>> = {
  'history.transferProcessorMaxPollRPS': 1000,
  'history.timerProcessorMaxPollRPS': 1000,
};

/**
 * The SQLite file in write-ahead-log mode, synced at checkpoints rather than at every commit: the
 * stock rollback journal with a full sync per transaction made the file's fsyncs most of the server's
 * CPU per order (docs/benchmarks.md). A crash of the process loses nothing; a power cut can lose the
 * last moments of history, after which an activity may run again: every activity is safe to repeat
 * (a raise looks for the order before creating it). A production cluster has its own database.
 */
export const LOCAL_ENGINE_SQLITE_PRAGMAS: Readonly<Record<string, string>> = { journal_mode: 'wal', synchronous: 'normal' };

/**
 * What the engine needs of any Temporal, tuned or not: task queue fairness, so that the connections'
 * tasks are dispatched in turn (their fairness key, temporal/priority.ts) and one client's burst never
 * queues every other client behind it; one partition per queue, so that the turn is kept across the
 * whole queue on one machine (docs/deploy.md says what to set on a cluster).
 */
export const ENGINE_DYNAMIC_CONFIG: Readonly<Record<string, boolean | number>> = {
  'matching.useNewMatcher': true,
  'matching.enableFairness': true,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

/** `--dynamic-config-value key=value` for each setting. */
export function dynamicConfigArgs(config: Readonly<Record<string, number | boolean>>): string[] {
  return Object.entries(config).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]);
}

export interface RunningDevServer {
  address: string;
  uiUrl: string;
  /** `http://<ip>:<metricsPort>/metrics` when `metricsPort` was given. */
  metricsUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** `--search-attribute Name=Type` for each of the project's search attributes (the one list: contracts/search-attributes.ts). */
const SEARCH_ATTRIBUTES = projectSearchAttributes.map(({ name, type }) => `${name}=${TypedSearchAttributes.toMetadataType(type)}`);

export async function startDevServerProcess(options: DevServerOptions): Promise<RunningDevServer> {
  const { cli } = ensureTemporalBinaries();
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? 8233;
  mkdirSync(dirname(options.dbFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  const args = ['server', 'start-dev', '--db-filename', options.dbFile, '--log-level', 'warn'];
  args.push('--ip', ip, '--port', String(port), '--ui-ip', ip, '--ui-port', String(uiPort));
  if (options.metricsPort !== undefined) args.push('--metrics-port', String(options.metricsPort));
  for (const attribute of SEARCH_ATTRIBUTES) args.push('--search-attribute', attribute);
  args.push(...dynamicConfigArgs(ENGINE_DYNAMIC_CONFIG));
  if (!options.untuned) {
    args.push(...dynamicConfigArgs(LOCAL_ENGINE_DYNAMIC_CONFIG));
    for (const [pragma, value] of Object.entries(LOCAL_ENGINE_SQLITE_PRAGMAS)) args.push('--sqlite-pragma', `${pragma}=${value}`);
  }
  if (options.uiCodecEndpoint) {
    const endpoint = new URL(options.uiCodecEndpoint);
    if (endpoint.username || endpoint.password || endpoint.search) {
      throw new Error('The Web UI codec endpoint must carry no credentials: every local user can read it');
    }
    args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  }
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  const child = spawn(cli, args, { stdio: ['ignore', log, log] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const address = `${ip}:${port}`;

  const deadline = Date.now() + 60_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('waiting'), 500))]);
    if (early !== 'waiting') {
      throw new Error(`The Temporal dev server exited at start (code ${String(early)}); is port ${port} or ${uiPort} already in use? See ${options.logFile}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.healthService.check({});
      await connection.close();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`The Temporal dev server did not answer on ${address} within 60 s; see ${options.logFile}`);
    }
  }
  return {
    address,
    uiUrl: `http://localhost:${uiPort}`,
    ...(options.metricsPort !== undefined ? { metricsUrl: `http://${ip}:${options.metricsPort}/metrics` } : {}),
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
