/**
 * One Omni agent per connection at a time. Two agents polling one connection's task queue would
 * split a product pass's pages between two processes, each with its own view of the pass; the agent
 * therefore holds a lease on its connection, and polls only while it holds it.
 *
 *  - The agent takes the lease at start: it is free, expired, or already its own. Otherwise it logs
 *    one line naming the holder and the lease's end, and tries again every few seconds, without
 *    polling its task queue; when the holder is gone (its lease expired, or, on one machine, its
 *    process died), it takes over and starts its worker.
 *  - It renews the lease every third of its duration (AGENT_LEASE_SECONDS, default 30) and releases
 *    it on shutdown. A lease it could not renew in time, or that another agent holds now, is lost:
 *    the agent stops its worker, saying so.
 *
 * Two implementations behind one interface:
 *  - `PostgresAgentLease` (DATABASE_URL): the table `agent_leases`; the database's clock decides
 *    expiry, so agents on several machines agree.
 *  - `FileAgentLease` (the embedded default, one machine): a lock file under DATA_DIR/agent-leases/
 *    holding the holder's pid and the lease's end; a lock of a dead process (on this host) or an
 *    expired one is taken over. It guards one machine (or one shared folder) only: agents of one
 *    connection on two machines need DATABASE_URL.
 *
 * The holder's name is `<pid>@<host>`, the Temporal worker's default identity, so the lease and the
 * task queue's pollers name the same agent.
 */
import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { makePrivateDirectory, PRIVATE_FILE } from './private-files';

export interface LeaseHolder {
  holder: string;
  expiresAt: Date;
}

export type LeaseAttempt = ({ held: true } & LeaseHolder) | ({ held: false } & LeaseHolder);
export type LeaseRenewal = { renewed: true; expiresAt: Date } | { renewed: false; holder?: LeaseHolder };

export interface AgentLease {
  readonly connectionId: string;
  /** This agent's name as a holder: `<pid>@<host>`. */
  readonly holder: string;
  readonly seconds: number;
  /** Takes the lease when it is free, expired or already this agent's; otherwise says who holds it until when. */
  tryAcquire(): Promise<LeaseAttempt>;
  /** Extends this agent's lease; `renewed: false` (with the holder, when there is one) when another agent holds it now. */
  renew(): Promise<LeaseRenewal>;
  /** Gives the lease up, if this agent still holds it. */
  release(): Promise<void>;
}

/** This process's name as a lease holder, which is also its Temporal worker identity. */
export function leaseHolderName(): string {
  return `${process.pid}@${hostname()}`;
}

/** AGENT_LEASE_SECONDS: how long a lease lasts without renewal (default 30, at least 1). */
export function leaseSecondsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.AGENT_LEASE_SECONDS;
  if (text === undefined || text === '') return 30;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 1) throw new Error(`AGENT_LEASE_SECONDS is '${text}': use a number of seconds, 1 or more`);
  return value;
}

export class PostgresAgentLease implements AgentLease {
  readonly holder: string;

  constructor(
    private readonly pool: Pool,
    readonly connectionId: string,
    readonly seconds: number,
    private readonly ready: () => Promise<void> = async () => undefined,
    holder: string = leaseHolderName(),
  ) {
    this.holder = holder;
  }

  async tryAcquire(): Promise<LeaseAttempt> {
    await this.ready();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const taken = await this.pool.query<{ expires_at: Date }>(
        `INSERT INTO agent_leases AS l (connection_id, holder, expires_at)
         VALUES ($1, $2, now() + make_interval(secs => $3))
         ON CONFLICT (connection_id) DO UPDATE
           SET holder = EXCLUDED.holder,
               expires_at = EXCLUDED.expires_at,
               acquired_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired_at ELSE now() END
           WHERE l.expires_at < now() OR l.holder = EXCLUDED.holder
         RETURNING expires_at`,
        [this.connectionId, this.holder, this.seconds],
      );
      if (taken.rows[0]) return { held: true, holder: this.holder, expiresAt: taken.rows[0].expires_at };
      const current = await this.current();
      if (current) return { held: false, ...current };
      // Released between the two statements: try again.
    }
    throw new Error(`the lease of connection ${this.connectionId} changed hands three times in a row; trying again`);
  }

  async renew(): Promise<LeaseRenewal> {
    await this.ready();
    const renewed = await this.pool.query<{ expires_at: Date }>(
      `UPDATE agent_leases SET expires_at = now() + make_interval(secs => $3)
        WHERE connection_id = $1 AND holder = $2
        RETURNING expires_at`,
      [this.connectionId, this.holder, this.seconds],
    );
    if (renewed.rows[0]) return { renewed: true, expiresAt: renewed.rows[0].expires_at };
    const current = await this.current();
    return current ? { renewed: false, holder: current } : { renewed: false };
  }

  async release(): Promise<void> {
    await this.pool.query('DELETE FROM agent_leases WHERE connection_id = $1 AND holder = $2', [this.connectionId, this.holder]);
  }

  private async current(): Promise<LeaseHolder | undefined> {
    const { rows } = await this.pool.query<{ holder: string; expires_at: Date }>('SELECT holder, expires_at FROM agent_leases WHERE connection_id = $1', [
      this.connectionId,
    ]);
    return rows[0] ? { holder: rows[0].holder, expiresAt: rows[0].expires_at } : undefined;
  }
}

interface LockFileContent {
  holder: string;
  pid: number;
  host: string;
  expiresAt: string;
}

export class FileAgentLease implements AgentLease {
  readonly holder: string;
  readonly path: string;

  constructor(
    directory: string,
    readonly connectionId: string,
    readonly seconds: number,
    private readonly identity: { pid: number; host: string } = { pid: process.pid, host: hostname() },
  ) {
    this.holder = `${identity.pid}@${identity.host}`;
    this.path = join(directory, `${connectionId.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
    makePrivateDirectory(directory);
  }

  async tryAcquire(): Promise<LeaseAttempt> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const mine = this.content();
      try {
        writeFileSync(this.path, JSON.stringify(mine), { ...PRIVATE_FILE, flag: 'wx' });
        return { held: true, holder: this.holder, expiresAt: new Date(mine.expiresAt) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const text = this.readText();
      if (text === undefined) continue; // removed meanwhile
      const current = parseLock(text);
      if (current?.holder === this.holder) return this.writeOwn();
      if (current && !this.isStale(current)) {
        return { held: false, holder: current.holder, expiresAt: new Date(current.expiresAt) };
      }
      if (!current && !this.unreadableForLong()) {
        // Being written by its creator this instant: it holds the lease.
        return { held: false, holder: '(unknown)', expiresAt: new Date(Date.now() + this.seconds * 1000) };
      }
      // A dead holder's or an expired lock: remove it, if it is still the one read, and take the lease.
      if (this.readText() === text) rmQuietly(this.path);
    }
    throw new Error(`the lock file ${this.path} changed hands three times in a row; trying again`);
  }

  async renew(): Promise<LeaseRenewal> {
    const text = this.readText();
    if (text === undefined) {
      const attempt = await this.tryAcquire();
      return attempt.held ? { renewed: true, expiresAt: attempt.expiresAt } : { renewed: false, holder: attempt };
    }
    const current = parseLock(text);
    if (current?.holder !== this.holder) {
      return current ? { renewed: false, holder: { holder: current.holder, expiresAt: new Date(current.expiresAt) } } : { renewed: false };
    }
    const written = this.writeOwn();
    return { renewed: true, expiresAt: written.expiresAt };
  }

  async release(): Promise<void> {
    const text = this.readText();
    if (text !== undefined && parseLock(text)?.holder === this.holder) rmQuietly(this.path);
  }

  private content(): LockFileContent {
    return { holder: this.holder, pid: this.identity.pid, host: this.identity.host, expiresAt: new Date(Date.now() + this.seconds * 1000).toISOString() };
  }

  /** Rewrites this agent's lock with a new end, atomically (a reader sees the old or the new, never half). */
  private writeOwn(): { held: true } & LeaseHolder {
    const mine = this.content();
    const temporary = `${this.path}.${this.identity.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(mine), PRIVATE_FILE);
    renameSync(temporary, this.path);
    return { held: true, holder: this.holder, expiresAt: new Date(mine.expiresAt) };
  }

  private isStale(lock: LockFileContent): boolean {
    if (Date.parse(lock.expiresAt) < Date.now()) return true;
    return lock.host === this.identity.host && !processAlive(lock.pid);
  }

  private unreadableForLong(): boolean {
    try {
      return Date.now() - statSync(this.path).mtimeMs > this.seconds * 1000;
    } catch {
      return true;
    }
  }

  private readText(): string | undefined {
    try {
      return readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}

function parseLock(text: string): LockFileContent | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockFileContent>;
    if (typeof value.holder === 'string' && typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.expiresAt === 'string') {
      return value as LockFileContent;
    }
  } catch {
    // half-written or foreign
  }
  return undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function rmQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

export interface LeaseLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** How often a waiting agent asks for the lease: a third of its duration, at most every 5 s. */
const pollIntervalMs = (lease: AgentLease) => Math.min(5000, (lease.seconds * 1000) / 3);

/**
 * Waits until this agent holds the lease. While another holds it, logs one line (again only when
 * the holder changes); a lease store that does not answer is tried again. Answers false when
 * `signal` aborts first (the agent was asked to stop while waiting).
 */
export async function acquireLease(lease: AgentLease, log: LeaseLog, signal?: AbortSignal): Promise<boolean> {
  let toldAbout: string | undefined;
  let toldProblem: string | undefined;
  while (!signal?.aborted) {
    try {
      const attempt = await lease.tryAcquire();
      if (attempt.held) {
        const after = toldAbout ? ` (taking over from agent ${toldAbout})` : '';
        log.info(
          `connection ${lease.connectionId}: this agent (${lease.holder}) holds the lease until ${attempt.expiresAt.toISOString()}${after}; it polls its task queue now`,
        );
        return true;
      }
      if (attempt.holder !== toldAbout) {
        toldAbout = attempt.holder;
        log.warn(
          `connection ${lease.connectionId} is already served by agent ${attempt.holder} (lease until ${attempt.expiresAt.toISOString()}); ` +
            'this agent waits and will take over when it is gone',
        );
      }
      toldProblem = undefined;
    } catch (error) {
      const problem = (error as Error).message;
      if (problem !== toldProblem) log.warn(`connection ${lease.connectionId}: cannot take the agent lease yet: ${problem}; trying again`);
      toldProblem = problem;
    }
    await sleep(pollIntervalMs(lease), signal);
  }
  return false;
}

export interface HeldLease {
  /** Stops renewing (and waits for a renewal in flight). */
  stop(): Promise<void>;
  /** Why the lease was lost, once it was. */
  lost(): string | undefined;
}

/**
 * Renews the held lease every third of its duration. When it is lost, calls `onLost` once with a
 * one-line reason and stops: another agent holds it now, or it could not be renewed before it ran
 * out (by this process's clock), after which another agent may have taken it.
 */
export function keepLease(lease: AgentLease, log: LeaseLog, onLost: (reason: string) => void): HeldLease {
  let validUntil = Date.now() + lease.seconds * 1000;
  let lostReason: string | undefined;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  const lose = (reason: string) => {
    if (lostReason !== undefined || stopped) return;
    lostReason = reason;
    clearInterval(timer);
    onLost(reason);
  };
  const renewOnce = async () => {
    const askedAt = Date.now();
    try {
      const renewal = await lease.renew();
      if (stopped) return;
      if (renewal.renewed) {
        validUntil = askedAt + lease.seconds * 1000;
        return;
      }
      const now = renewal.holder ? ` (now held by agent ${renewal.holder.holder} until ${renewal.holder.expiresAt.toISOString()})` : '';
      lose(`connection ${lease.connectionId}: this agent (${lease.holder}) lost its lease${now}: it stops its worker`);
    } catch (error) {
      if (stopped) return;
      if (Date.now() >= validUntil) {
        lose(
          `connection ${lease.connectionId}: this agent (${lease.holder}) could not renew its lease before it ran out (${(error as Error).message}); ` +
            'another agent may serve the connection now: it stops its worker',
        );
      } else {
        log.warn(`connection ${lease.connectionId}: could not renew the agent lease (${(error as Error).message}); trying again`);
      }
    }
  };
  const timer = setInterval(
    () => {
      if (Date.now() >= validUntil) {
        lose(`connection ${lease.connectionId}: this agent (${lease.holder}) could not renew its lease before it ran out: it stops its worker`);
        return;
      }
      inFlight = inFlight.then(renewOnce);
    },
    (lease.seconds * 1000) / 3,
  );
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
    lost: () => lostReason,
  };
}

/**
 * The lease of an agent of `connectionId`: in the shared database when there is one, else a lock
 * file under `dataDirectory`/agent-leases.
 */
export function agentLeaseFor(
  connectionId: string,
  options: { database?: { pool: Pool; ready: () => Promise<void> }; dataDirectory: string; seconds: number },
): AgentLease {
  if (options.database) return new PostgresAgentLease(options.database.pool, connectionId, options.seconds, options.database.ready);
  return new FileAgentLease(join(options.dataDirectory, 'agent-leases'), connectionId, options.seconds);
}
