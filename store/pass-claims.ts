/**
 * The pass claim: per connection, the product pass that last won the right to run (its workflow id
 * and run id). A pass takes it at its start by compare-and-set against the holder it saw, so of two
 * passes that start together exactly one gets it, however their steps interleave; whether the
 * holder still runs is Temporal's to say (temporal/running-pass.ts), so a claim is never released.
 *
 * Kept by the product state store, both kinds: the file store (`FilePassClaims` below) and the
 * Postgres store (table `pass_claims`, `store/migrations/006_pass_claims.sql`). A store that keeps none
 * (a bench's store in memory) gets claims kept in this process (`passClaimsOf`).
 */
import { linkSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivateDirectory, PRIVATE_FILE } from './private-files';

export interface PassHolder {
  workflowId: string;
  runId: string;
}

export interface PassClaims {
  /** The pass holding the connection's claim; null when no pass ever claimed it. */
  passClaimHolder(connectionId: string): Promise<PassHolder | null>;
  /**
   * Gives the claim to `next` if its holder is still `expected` (null: nobody holds it): true when it
   * did, false when the claim changed meanwhile (read the holder again).
   */
  claimPass(connectionId: string, expected: PassHolder | null, next: PassHolder): Promise<boolean>;
}

export function sameHolder(a: PassHolder | null, b: PassHolder | null): boolean {
  return a === null || b === null ? a === b : a.workflowId === b.workflowId && a.runId === b.runId;
}

/** The store's own claims; for a store that keeps none, claims in this process's memory (enough for one process). */
export function passClaimsOf(store: object): PassClaims {
  const candidate = store as Partial<PassClaims>;
  if (typeof candidate.passClaimHolder === 'function' && typeof candidate.claimPass === 'function') return candidate as PassClaims;
  let claims = inProcessClaims.get(store);
  if (!claims) inProcessClaims.set(store, (claims = new MemoryPassClaims()));
  return claims;
}

const inProcessClaims = new WeakMap<object, PassClaims>();

/** Claims in memory: each method runs without an await between its read and its write, so it is atomic within the process. */
class MemoryPassClaims implements PassClaims {
  private readonly holders = new Map<string, PassHolder>();

  async passClaimHolder(connectionId: string): Promise<PassHolder | null> {
    return this.holders.get(connectionId) ?? null;
  }

  async claimPass(connectionId: string, expected: PassHolder | null, next: PassHolder): Promise<boolean> {
    if (!sameHolder(this.holders.get(connectionId) ?? null, expected)) return false;
    this.holders.set(connectionId, { workflowId: next.workflowId, runId: next.runId });
    return true;
  }
}

const safeName = (value: string) => value.replace(/[^A-Za-z0-9_.-]/g, '_');
const GENERATION_FILE = /^(\d{12})\.json$/;

/**
 * The file store's claims: `<directory>/<connection>/pass-claim/<generation>.json`, the newest
 * generation the holder. A claim creates the next generation's file with a hard link, which fails
 * when the file exists: of two claimants that saw the same holder only one can create it, in one
 * process or in several sharing the folder. The file is written whole before it is linked, so a
 * reader never sees half of it; older generations are removed once a newer one exists, so a claim
 * counts only if its generation is the newest once linked.
 */
export class FilePassClaims implements PassClaims {
  constructor(private readonly directory: string) {}

  async passClaimHolder(connectionId: string): Promise<PassHolder | null> {
    return (await this.newest(connectionId))?.holder ?? null;
  }

  async claimPass(connectionId: string, expected: PassHolder | null, next: PassHolder): Promise<boolean> {
    const current = await this.newest(connectionId);
    if (!sameHolder(current?.holder ?? null, expected)) return false;
    const directory = this.claimDir(connectionId);
    makePrivateDirectory(directory);
    const generation = (current?.generation ?? 0) + 1;
    const temporary = join(directory, `${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    writeFileSync(temporary, JSON.stringify({ workflowId: next.workflowId, runId: next.runId, claimedAt: new Date().toISOString() }), PRIVATE_FILE);
    try {
      linkSync(temporary, join(directory, generationFileName(generation)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      rmSync(temporary, { force: true });
    }
    const generations = this.generations(connectionId);
    // A number freed by the pruning below is only ever below a newer generation: linked late, it lost.
    if (generations.at(-1) !== generation) {
      rmSync(join(directory, generationFileName(generation)), { force: true });
      return false;
    }
    for (const older of generations.filter((g) => g < generation)) rmSync(join(directory, generationFileName(older)), { force: true });
    return true;
  }

  /** The newest generation and its holder; read again when it was removed meanwhile (a newer one took its place). */
  private async newest(connectionId: string): Promise<{ generation: number; holder: PassHolder } | undefined> {
    for (;;) {
      const generation = this.generations(connectionId).at(-1);
      if (generation === undefined) return undefined;
      try {
        const stored = JSON.parse(readFileSync(join(this.claimDir(connectionId), generationFileName(generation)), 'utf8')) as PassHolder;
        return { generation, holder: { workflowId: stored.workflowId, runId: stored.runId } };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }

  /** The generations on file, oldest first. */
  private generations(connectionId: string): number[] {
    let names: string[];
    try {
      names = readdirSync(this.claimDir(connectionId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .map((name) => GENERATION_FILE.exec(name)?.[1])
      .filter((digits): digits is string => digits !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  private claimDir(connectionId: string) {
    return join(this.directory, safeName(connectionId), 'pass-claim');
  }
}

function generationFileName(generation: number): string {
  return `${String(generation).padStart(12, '0')}.json`;
}
