/**
 * Alert episodes: one per (connection, kind, subject) while a condition lasts, so each alert is sent
 * once per episode however often the condition is seen (every retry of an order, every probe of a
 * source that is down, every periodic check), and by exactly one of several workers.
 *
 * An episode begins when the condition is first seen. Its open alert is sent when it is due (at once,
 * or after a delay: a source down for `sourceDownMinutes`), by whoever claims it (a short lease, so a
 * worker that dies mid-send does not block the next); once the receiver answered 2xx it is remembered
 * and never sent again. When the condition ends, an episode whose alert went out waits for its
 * recovery to be sent, then is gone; one whose alert never went out is simply dropped.
 *
 * Kept by the product state store, both of its kinds: the file store (`FileAlertEpisodes`, files under
 * `<connection>/alerts/`, every change under a lock file, read afresh each time, so the central worker,
 * an agent and the CLI on one machine see one state) and the Postgres store (table `alert_episodes`,
 * `store/migrations/004_alert_episodes.sql`), shared by every worker.
 *
 * An episode's texts are the alert's, which goes to a webhook outside Temporal: the activities build
 * them from the engine's own words and codes only, never a source's message (it may quote a customer).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivateDirectory, PRIVATE_FILE } from './private-files';

/** What an alert is about. */
export const ALERT_KINDS = ['order_needs_attention', 'product_pass_failed', 'product_pass_overdue', 'source_down', 'schedule_paused'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
/** Which of an episode's two alerts: the condition began (`open`), or ended (`recovered`). */
export type AlertPhase = 'open' | 'recovered';

export interface AlertEpisodeKey {
  connectionId: string;
  kind: AlertKind;
  /** What within the connection: an order's code, the product-sync schedule, the source. */
  subject: string;
}

export interface AlertEpisode extends AlertEpisodeKey {
  /** When the condition was first seen. */
  startedAt: Date;
  /** The latest description of the condition (the text of the open alert). */
  message: string;
  /** When the open alert was accepted by the receiver; null until then. */
  openSentAt: Date | null;
  /** When the condition ended (its recovery waits to be sent); null while it lasts. */
  recoveredAt: Date | null;
  recoveryMessage: string | null;
}

export interface AlertEpisodeStore {
  /** Begins the episode when none is open (else refreshes its message, and withdraws a recovery not sent yet): the episode. */
  beginAlertEpisode(key: AlertEpisodeKey, message: string): Promise<AlertEpisode>;
  /**
   * The condition ended: an episode whose open alert went out is marked recovered (its recovery is
   * to be sent); one whose alert never went out is dropped. Answers the episode as it was; null when none was open.
   */
  endAlertEpisode(key: AlertEpisodeKey, recoveryMessage: string): Promise<AlertEpisode | null>;
  /**
   * Claims the sending of the episode's alert of `phase` for `leaseMs`: the episode to exactly one
   * caller until the lease ends, null when there is nothing to send (already sent, not recovered, no
   * episode) or another caller holds it. For `open`, only an episode that began `openDueAfterMs` ago or
   * more (by the store's clock: the database's, for the shared store).
   */
  claimAlert(key: AlertEpisodeKey, phase: AlertPhase, leaseMs: number, openDueAfterMs?: number): Promise<AlertEpisode | null>;
  /** The claimed alert was accepted (2xx): `open` is remembered; `recovered` ends the episode. */
  alertSent(key: AlertEpisodeKey, phase: AlertPhase): Promise<void>;
  /** The claimed alert did not go out: the next try may claim it at once. */
  releaseAlert(key: AlertEpisodeKey): Promise<void>;
  /** The connection's episodes, open or waiting for their recovery to be sent, by kind and subject. */
  alertEpisodes(connectionId: string): Promise<AlertEpisode[]>;
}

/** The store's alert episodes, when it keeps them (both stores of this project do). */
export function alertEpisodeStoreOf(store: unknown): AlertEpisodeStore | undefined {
  const candidate = store as Partial<AlertEpisodeStore> | null | undefined;
  return typeof candidate?.beginAlertEpisode === 'function' && typeof candidate.claimAlert === 'function' ? (candidate as AlertEpisodeStore) : undefined;
}

interface StoredEpisode extends AlertEpisodeKey {
  startedAt: string;
  message: string;
  openSentAt: string | null;
  recoveredAt: string | null;
  recoveryMessage: string | null;
  /** A sender's lease (ms since the epoch); 0 when none. */
  claimedUntil: number;
}

/** An episode file written since alert texts hold only the engine's words and codes. */
const EPISODE_FORMAT = 2;

/**
 * In place of the text of an episode recorded before alert texts held only the engine's words and
 * codes (an order's reason once quoted its source); migration 008 writes the same in Postgres.
 */
export function plainAlertWords({ connectionId, kind, subject }: AlertEpisodeKey): string {
  return `${kind.replaceAll('_', ' ')}: ${subject}; \`npm run cli -- status ${connectionId}\` says more`;
}

/** Episode files written before: their texts are replaced by `plainAlertWords`. Never fails. */
function scrubPlainMessages(directory: string): void {
  let connections: string[];
  try {
    connections = readdirSync(directory);
  } catch {
    return;
  }
  for (const connection of connections) {
    let files: string[] = [];
    try {
      files = readdirSync(join(directory, connection, 'alerts')).filter((name) => name.endsWith('.json'));
    } catch {
      continue;
    }
    for (const file of files) {
      const path = join(directory, connection, 'alerts', file);
      const stored = readEpisodeFile(path) as (StoredEpisode & { format?: number }) | undefined;
      if (!stored || stored.format === EPISODE_FORMAT) continue;
      const words = plainAlertWords(stored);
      const next = { ...stored, message: words, recoveryMessage: stored.recoveryMessage === null ? null : words, format: EPISODE_FORMAT };
      try {
        writeFileSync(`${path}.${process.pid}.tmp`, JSON.stringify(next), PRIVATE_FILE);
        renameSync(`${path}.${process.pid}.tmp`, path);
      } catch {
        // tried again at the next start
      }
    }
  }
}

/** How long a lock file may be held before another process takes it for abandoned (a crash mid-change). */
const STALE_LOCK_MS = 10_000;
const safeName = (value: string) => value.replace(/[^A-Za-z0-9_.-]/g, '_');

/**
 * The file store's episodes: `<directory>/<connection>/alerts/<kind>~<subject>~<hash>.json`, each
 * change a read-modify-write under the connection's lock file (`alerts/.lock`, created exclusively),
 * the file written whole and renamed, so two processes on one machine never both claim an alert.
 */
export class FileAlertEpisodes implements AlertEpisodeStore {
  constructor(private readonly directory: string) {
    scrubPlainMessages(directory);
  }

  async beginAlertEpisode(key: AlertEpisodeKey, message: string): Promise<AlertEpisode> {
    return this.change(key, (stored) => {
      const next: StoredEpisode = stored
        ? { ...stored, message, recoveredAt: null, recoveryMessage: null }
        : { ...plainKey(key), startedAt: new Date().toISOString(), message, openSentAt: null, recoveredAt: null, recoveryMessage: null, claimedUntil: 0 };
      return { next, answer: toEpisode(next) };
    });
  }

  async endAlertEpisode(key: AlertEpisodeKey, recoveryMessage: string): Promise<AlertEpisode | null> {
    return this.change(key, (stored) => {
      if (!stored) return { next: undefined, answer: null };
      if (stored.openSentAt === null) return { next: null, answer: toEpisode(stored) };
      if (stored.recoveredAt !== null) return { next: stored, answer: toEpisode(stored) };
      return { next: { ...stored, recoveredAt: new Date().toISOString(), recoveryMessage }, answer: toEpisode(stored) };
    });
  }

  async claimAlert(key: AlertEpisodeKey, phase: AlertPhase, leaseMs: number, openDueAfterMs = 0): Promise<AlertEpisode | null> {
    return this.change(key, (stored) => {
      const now = Date.now();
      if (!stored || stored.claimedUntil > now || !isDue(toEpisode(stored), phase, new Date(now - openDueAfterMs))) return { next: undefined, answer: null };
      const next = { ...stored, claimedUntil: now + leaseMs };
      return { next, answer: toEpisode(next) };
    });
  }

  async alertSent(key: AlertEpisodeKey, phase: AlertPhase): Promise<void> {
    await this.change(key, (stored) => {
      if (!stored) return { next: undefined, answer: undefined };
      if (phase === 'recovered') return { next: stored.recoveredAt === null ? { ...stored, claimedUntil: 0 } : null, answer: undefined };
      return { next: { ...stored, openSentAt: stored.openSentAt ?? new Date().toISOString(), claimedUntil: 0 }, answer: undefined };
    });
  }

  async releaseAlert(key: AlertEpisodeKey): Promise<void> {
    await this.change(key, (stored) => ({ next: stored ? { ...stored, claimedUntil: 0 } : undefined, answer: undefined }));
  }

  async alertEpisodes(connectionId: string): Promise<AlertEpisode[]> {
    const directory = this.alertDir(connectionId);
    let files: string[];
    try {
      files = readdirSync(directory).filter((name) => name.endsWith('.json'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return files
      .map((file) => readEpisodeFile(join(directory, file)))
      .filter((stored): stored is StoredEpisode => stored !== undefined && stored.connectionId === connectionId)
      .map(toEpisode)
      .sort((a, b) => (a.kind === b.kind ? compare(a.subject, b.subject) : compare(a.kind, b.kind)));
  }

  /** `change` decides from the stored episode: `next` undefined keeps it, null removes it. */
  private async change<T>(
    key: AlertEpisodeKey,
    decide: (stored: StoredEpisode | undefined) => { next: StoredEpisode | null | undefined; answer: T },
  ): Promise<T> {
    const directory = this.alertDir(key.connectionId);
    makePrivateDirectory(directory);
    const path = join(directory, episodeFileName(key));
    return withLockFile(join(directory, '.lock'), () => {
      const { next, answer } = decide(readEpisodeFile(path));
      if (next === null) rmSync(path, { force: true });
      else if (next !== undefined) {
        const temporary = `${path}.${process.pid}.tmp`;
        writeFileSync(temporary, JSON.stringify({ ...next, format: EPISODE_FORMAT }), PRIVATE_FILE);
        renameSync(temporary, path);
      }
      return answer;
    });
  }

  private alertDir(connectionId: string) {
    return join(this.directory, safeName(connectionId), 'alerts');
  }
}

/** Is the episode's alert of `phase` still to be sent (for `open`: started at or before `startedBy`)? */
export function isDue(episode: AlertEpisode, phase: AlertPhase, startedBy?: Date): boolean {
  if (phase === 'recovered') return episode.openSentAt !== null && episode.recoveredAt !== null;
  return episode.openSentAt === null && episode.recoveredAt === null && (startedBy === undefined || episode.startedAt.getTime() <= startedBy.getTime());
}

function plainKey({ connectionId, kind, subject }: AlertEpisodeKey): AlertEpisodeKey {
  return { connectionId, kind, subject };
}

function toEpisode(stored: StoredEpisode): AlertEpisode {
  return {
    ...plainKey(stored),
    startedAt: new Date(stored.startedAt),
    message: stored.message,
    openSentAt: stored.openSentAt === null ? null : new Date(stored.openSentAt),
    recoveredAt: stored.recoveredAt === null ? null : new Date(stored.recoveredAt),
    recoveryMessage: stored.recoveryMessage,
  };
}

function episodeFileName({ kind, subject }: AlertEpisodeKey): string {
  return `${kind}~${safeName(subject).slice(0, 60)}~${createHash('sha256').update(subject).digest('hex').slice(0, 16)}.json`;
}

function readEpisodeFile(path: string): StoredEpisode | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as StoredEpisode;
    return typeof parsed.kind === 'string' && typeof parsed.startedAt === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Runs `body` (synchronous: nothing else of this process runs meanwhile) holding the lock file, created
 * exclusively; waits for another holder, and takes a lock older than STALE_LOCK_MS for abandoned.
 */
async function withLockFile<T>(path: string, body: () => T): Promise<T> {
  const deadline = Date.now() + 2 * STALE_LOCK_MS;
  for (;;) {
    try {
      writeFileSync(path, String(process.pid), { ...PRIVATE_FILE, flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(path).mtimeMs > STALE_LOCK_MS) {
          // Renamed away first, so of two processes taking over an abandoned lock only one removes it.
          const abandoned = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.stale`;
          renameSync(path, abandoned);
          rmSync(abandoned, { force: true });
          continue;
        }
      } catch {
        continue; // released meanwhile
      }
      if (Date.now() > deadline) throw new Error(`the alert state's lock file ${path} stays taken`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  try {
    return body();
  } finally {
    rmSync(path, { force: true });
  }
}
