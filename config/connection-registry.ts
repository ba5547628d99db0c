/**
 * The connections of a running process: the connections file read once, validated connection by
 * connection, and watched.
 *
 * - A bad connection is reported (one log line naming its id, or its position, and the field) and
 *   skipped; the others keep working. An activity of that connection fails, non-retryably, with the
 *   same message (`problemOf`).
 * - The file is watched (its folder, so an editor that writes a new file and renames it over the old
 *   one is seen, and a stat poll as a safety net); a change applies within a second or two, without
 *   a restart. A connection that turns bad is dropped from the set and reported.
 * - A file that cannot be read at all any more (gone, not JSON, not `{ "connections": [...] }`) keeps
 *   the last good set, and says why. At start there is no last good set: the constructor throws.
 *
 * `connections()` does no I/O: it is what every activity and webhook call asks.
 */
import { readFileSync, unwatchFile, watch, watchFile, type FSWatcher, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { Connection } from '../domain';
import { ConfigurationError, readConnectionsFile, readConnectionsText, type ConnectionProblem } from './config';

export type { ConnectionProblem } from './config';

export type RegistryLogLine = { level: 'info' | 'warn' | 'error'; message: string } & Record<string, unknown>;

export interface ConnectionRegistryOptions {
  /** One line per event: a skipped connection, a reload, a file that cannot be read. Never a secret (the file holds none). */
  log?: (line: RegistryLogLine) => void;
  /** Watch the file and reload on change (default true). */
  watch?: boolean;
  /** Quiet time after a change before the file is read (default 200 ms): an editor's save is several events. */
  debounceMs?: number;
  /** How often the file's stat is polled as well, for file systems whose change events do not arrive (default 1000 ms). */
  pollIntervalMs?: number;
}

export class ConnectionRegistry {
  readonly path: string;
  private readonly log: (line: RegistryLogLine) => void;
  private readonly debounceMs: number;
  private current: Connection[] = [];
  private entryProblems: ConnectionProblem[] = [];
  /** Why the file could not be read at the last try, while the last good set stays in use. */
  private fileProblem: string | undefined;
  /** The text last validated: an event that changed nothing is not a reload. */
  private lastText: string | undefined;
  private watcher: FSWatcher | undefined;
  private poller: ((current: Stats, previous: Stats) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /** Reads the file (throws ConfigurationError when it is missing or unreadable as a whole) and starts watching it. */
  constructor(path: string, options: ConnectionRegistryOptions = {}) {
    this.path = path;
    this.log = options.log ?? (() => undefined);
    this.debounceMs = options.debounceMs ?? 200;
    const first = readConnectionsFile(path);
    this.lastText = first.text;
    this.apply(first.connections, first.problems, 'loaded');
    if (options.watch !== false) this.watch(options.pollIntervalMs ?? 1000);
  }

  /** The connections in use now: the valid ones of the last readable file. No I/O. */
  connections(): Connection[] {
    return [...this.current];
  }

  /** What is wrong now: one entry per skipped connection, and `(file)` while the file cannot be read. */
  problems(): ConnectionProblem[] {
    const file: ConnectionProblem[] = this.fileProblem === undefined ? [] : [{ connection: '(file)', field: '(file)', message: this.fileProblem }];
    return [...this.entryProblems, ...file];
  }

  /** Why the file's connection `connectionId` is not in use, when the file holds it but it is invalid. */
  problemOf(connectionId: string): ConnectionProblem | undefined {
    if (this.current.some((c) => c.id === connectionId)) return undefined;
    return this.entryProblems.find((p) => p.connection === connectionId);
  }

  /** Reads the file again now (what a change does, after the debounce); a no-op when its text is unchanged. */
  reload(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      this.lastText = undefined; // whatever appears next is read
      return this.keepLastGood(code === 'ENOENT' ? `${this.path} is gone` : `${this.path} cannot be read (${code ?? (error as Error).message})`);
    }
    if (text === this.lastText && this.fileProblem === undefined) return;
    this.lastText = text;
    let reading;
    try {
      reading = readConnectionsText(this.path, text);
    } catch (error) {
      return this.keepLastGood((error as Error).message);
    }
    this.fileProblem = undefined;
    this.apply(reading.connections, reading.problems, 'reloaded');
  }

  /** Stops watching; the current set stays readable. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
    if (this.poller) unwatchFile(this.path, this.poller);
    this.poller = undefined;
  }

  private apply(connections: Connection[], problems: ConnectionProblem[], how: 'loaded' | 'reloaded'): void {
    const before = new Set(this.entryProblems.map((p) => p.message));
    this.current = connections;
    this.entryProblems = problems;
    // One line per bad connection; on a reload only the new ones (an unchanged bad entry was said already).
    for (const problem of problems) {
      if (how === 'reloaded' && before.has(problem.message)) continue;
      this.log({
        level: 'warn',
        message: `${problem.message}: connection skipped, the others keep working (fix it in ${this.path}; no restart needed)`,
        connection: problem.connection,
        field: problem.field,
        fields: problem.fields ?? [problem.field],
        file: this.path,
      });
    }
    const ids = connections.map((c) => c.id);
    const skipped = problems.map((p) => p.connection);
    this.log({
      level: 'info',
      message: `${this.path} ${how}: ${ids.length} connection(s) in use${ids.length ? ` (${ids.join(', ')})` : ''}${skipped.length ? `, ${skipped.length} skipped (${skipped.join(', ')})` : ''}`,
      file: this.path,
      connections: ids,
      skipped,
    });
  }

  private keepLastGood(why: string): void {
    if (this.fileProblem === why) return;
    this.fileProblem = why;
    const ids = this.current.map((c) => c.id);
    this.log({
      level: 'error',
      message: `${why}; keeping the last good connections (${ids.join(', ') || 'none'}) until the file is fixed`,
      file: this.path,
    });
  }

  private watch(pollIntervalMs: number): void {
    const changed = () => {
      if (this.closed) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.reloadSafely(), this.debounceMs);
      this.timer.unref();
    };
    // The folder, not the file: a file replaced by a rename is a new file that a watch on the old one never sees.
    // Any event there is checked (a mounted ConfigMap swaps a `..data` link); an unchanged text is no reload.
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, changed);
      this.watcher.on('error', (error) => {
        this.log({
          level: 'warn',
          message: `watching ${dirname(this.path)} stopped (${error.message}); polling ${this.path} still sees changes`,
          file: this.path,
        });
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (error) {
      this.log({ level: 'warn', message: `cannot watch ${dirname(this.path)} (${(error as Error).message}); polling ${this.path} instead`, file: this.path });
    }
    this.poller = (now, previous) => {
      if (now.mtimeMs !== previous.mtimeMs || now.ino !== previous.ino || now.size !== previous.size) changed();
    };
    watchFile(this.path, { persistent: false, interval: pollIntervalMs }, this.poller);
  }

  private reloadSafely(): void {
    if (this.closed) return;
    try {
      this.reload();
    } catch (error) {
      this.keepLastGood(error instanceof ConfigurationError ? error.message : `${this.path}: ${(error as Error).message}`);
    }
  }
}
