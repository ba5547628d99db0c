/**
 * The embedded default store (`product-state.ts` says what a store keeps), in files under the data
 * folder, one folder a connection: an append-only log of `code<TAB>hash<TAB>productCode<TAB>title` lines
 * (the last line of a code wins; compacted when it grows to twice the live size) and one list of seen
 * codes per pass. A worker restart reloads it; in between, the process keeps it in memory and never
 * reads it again, so exactly one process may serve a connection's product pages: one central worker for
 * iSync connections, one agent (held to that by its lease, `agent-lease.ts`) for an Omni connection.
 * Several central workers need the shared store (the worker refuses to start otherwise, see
 * `from-env.ts`). Every file and folder it makes is owner-only (`private-files.ts`).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileAlertEpisodes, type AlertEpisode, type AlertEpisodeKey, type AlertEpisodeStore, type AlertPhase } from './alert-episodes';
import { FilePassClaims, type PassClaims, type PassHolder } from './pass-claims';
import { closeExistingDirectory, makePrivateDirectory, PRIVATE_FILE } from './private-files';
import { problemWords } from './sealed-problems';
import {
  type PushedProduct,
  ENDED_PASS_MEMORY_DAYS,
  type ProductStateStore,
  type ProblemKind,
  type ProblemReport,
  type Problem,
  type ProblemLedger,
  compareProblems,
} from './product-state';

const FORGOTTEN = '-';
const safeName = (value: string) => value.replace(/[^A-Za-z0-9_.-]/g, '_');

/**
 * The embedded default keeps each open problem in a file of its own,
 * `<connection>/problems/<kind>/<code>~<hash>.json` (its reason as `sealed-problems.ts` says: the
 * engine's words, the rest sealed), written whole (a temporary file renamed) and read afresh at every
 * call: the product pages (one process per connection), the central worker's order write-backs and
 * the CLI all use it, so nothing of it is cached in a process.
 */
export class FileProductStateStore implements ProductStateStore, ProblemLedger, AlertEpisodeStore, PassClaims {
  private readonly loaded = new Map<string, { products: Map<string, PushedProduct>; logLines: number }>();

  /** Alert episodes: files under `<connection>/alerts/`, read afresh at every call (see alert-episodes.ts). */
  private readonly alerts: FileAlertEpisodes;
  /** Pass claims: files under `<connection>/pass-claim/`, read afresh at every call (see pass-claims.ts). */
  private readonly claims: FilePassClaims;

  constructor(private readonly directory: string) {
    closeExistingDirectory(directory);
    this.alerts = new FileAlertEpisodes(directory);
    this.claims = new FilePassClaims(directory);
    scrubPlainReasons(directory);
  }

  async lastPushedHashes(connectionId: string, codes: string[]): Promise<Map<string, string>> {
    const { products } = this.state(connectionId);
    const hashes = new Map<string, string>();
    for (const code of codes) {
      const hash = products.get(code)?.hash;
      if (hash !== undefined) hashes.set(code, hash);
    }
    return hashes;
  }

  async recordPushed(connectionId: string, products: PushedProduct[]): Promise<void> {
    if (products.length === 0) return;
    const state = this.state(connectionId);
    const lines = products.map((p) => [p.code, p.hash, p.productCode, p.title].map(clean).join('\t'));
    appendFileSync(this.logPath(connectionId), `${lines.join('\n')}\n`, PRIVATE_FILE);
    for (const product of products) state.products.set(product.code, product);
    state.logLines += products.length;
    this.compactIfLarge(connectionId);
  }

  async forget(connectionId: string, codes: string[]): Promise<void> {
    if (codes.length === 0) return;
    const state = this.state(connectionId);
    appendFileSync(this.logPath(connectionId), `${codes.map((c) => `${clean(c)}\t${FORGOTTEN}`).join('\n')}\n`, PRIVATE_FILE);
    for (const code of codes) state.products.delete(code);
    state.logLines += codes.length;
  }

  async markSeen(connectionId: string, passId: string, codes: string[]): Promise<void> {
    if (codes.length === 0) return;
    this.state(connectionId);
    appendFileSync(this.passPath(connectionId, passId), `${codes.map(clean).join('\n')}\n`, PRIVATE_FILE);
  }

  async unseenInPass(connectionId: string, passId: string): Promise<PushedProduct[]> {
    if (existsSync(this.endedPath(connectionId, passId))) return [];
    const path = this.passPath(connectionId, passId);
    const seen = new Set(existsSync(path) ? readFileSync(path, 'utf8').split('\n') : []);
    return [...this.state(connectionId).products.values()]
      .filter((p) => !seen.has(clean(p.code)))
      .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  }

  async endPass(connectionId: string, passId: string): Promise<void> {
    this.state(connectionId);
    writeFileSync(this.endedPath(connectionId, passId), `${new Date().toISOString()}\n`, PRIVATE_FILE);
    rmSync(this.passPath(connectionId, passId), { force: true });
    // The marks of passes ended long ago (no reconcile is retried after a week) go.
    const directory = this.connectionDir(connectionId);
    const cutoff = Date.now() - ENDED_PASS_MEMORY_DAYS * 24 * 60 * 60 * 1000;
    for (const name of listFiles(directory)) {
      if (name.endsWith('.ended') && statSync(join(directory, name)).mtimeMs < cutoff) rmSync(join(directory, name), { force: true });
    }
  }

  async recordProblems(connectionId: string, problems: ProblemReport[]): Promise<void> {
    if (problems.length === 0) return;
    const now = new Date().toISOString();
    const latest = new Map(problems.map((p) => [`${p.kind}\t${p.code}`, p]));
    for (const problem of latest.values()) {
      const directory = this.problemDir(connectionId, problem.kind);
      makePrivateDirectory(directory);
      const path = join(directory, problemFileName(problem.code));
      const firstSeen = readProblemFile(path)?.firstSeen ?? now;
      writeProblemFile(path, {
        format: PROBLEM_FORMAT,
        connectionId,
        kind: problem.kind,
        code: problem.code,
        field: problem.field,
        reason: problem.reason,
        ...(problem.sealedReason === undefined ? {} : { sealedReason: problem.sealedReason }),
        firstSeen,
        lastSeen: now,
      });
    }
  }

  async closeProblems(connectionId: string, kind: ProblemKind, codes: string[]): Promise<void> {
    if (codes.length === 0) return;
    const directory = this.problemDir(connectionId, kind);
    const open = new Set(listFiles(directory));
    if (open.size === 0) return;
    for (const code of codes) {
      const name = problemFileName(code);
      if (open.has(name)) rmSync(join(directory, name), { force: true });
    }
  }

  async closeProductProblemsUnseenInPass(connectionId: string, passId: string): Promise<void> {
    if (existsSync(this.endedPath(connectionId, passId))) return;
    const directory = this.problemDir(connectionId, 'product');
    const files = listFiles(directory);
    if (files.length === 0) return;
    const path = this.passPath(connectionId, passId);
    const seen = new Set(existsSync(path) ? readFileSync(path, 'utf8').split('\n') : []);
    for (const file of files) {
      const problem = readProblemFile(join(directory, file));
      if (problem && problem.connectionId === connectionId && !seen.has(clean(problem.code))) rmSync(join(directory, file), { force: true });
    }
  }

  async openProblems(connectionId?: string): Promise<Problem[]> {
    const connectionDirs = connectionId === undefined ? listFiles(this.directory) : [safeName(connectionId)];
    const problems: Problem[] = [];
    for (const connectionDir of connectionDirs) {
      for (const kind of ['product', 'order'] as const) {
        const directory = join(this.directory, connectionDir, 'problems', kind);
        for (const file of listFiles(directory)) {
          const stored = readProblemFile(join(directory, file));
          if (!stored || (connectionId !== undefined && stored.connectionId !== connectionId)) continue;
          const { format: _format, firstSeen, lastSeen, ...problem } = stored;
          problems.push({ ...problem, firstSeen: new Date(firstSeen), lastSeen: new Date(lastSeen) });
        }
      }
    }
    return problems.sort(compareProblems);
  }

  beginAlertEpisode(key: AlertEpisodeKey, message: string): Promise<AlertEpisode> {
    return this.alerts.beginAlertEpisode(key, message);
  }

  endAlertEpisode(key: AlertEpisodeKey, recoveryMessage: string): Promise<AlertEpisode | null> {
    return this.alerts.endAlertEpisode(key, recoveryMessage);
  }

  claimAlert(key: AlertEpisodeKey, phase: AlertPhase, leaseMs: number, openDueAfterMs?: number): Promise<AlertEpisode | null> {
    return this.alerts.claimAlert(key, phase, leaseMs, openDueAfterMs);
  }

  alertSent(key: AlertEpisodeKey, phase: AlertPhase): Promise<void> {
    return this.alerts.alertSent(key, phase);
  }

  releaseAlert(key: AlertEpisodeKey): Promise<void> {
    return this.alerts.releaseAlert(key);
  }

  alertEpisodes(connectionId: string): Promise<AlertEpisode[]> {
    return this.alerts.alertEpisodes(connectionId);
  }

  passClaimHolder(connectionId: string): Promise<PassHolder | null> {
    return this.claims.passClaimHolder(connectionId);
  }

  claimPass(connectionId: string, expected: PassHolder | null, next: PassHolder): Promise<boolean> {
    return this.claims.claimPass(connectionId, expected, next);
  }

  private state(connectionId: string) {
    let state = this.loaded.get(connectionId);
    if (!state) {
      makePrivateDirectory(this.connectionDir(connectionId));
      state = this.load(connectionId);
      this.loaded.set(connectionId, state);
    }
    return state;
  }

  private load(connectionId: string) {
    const products = new Map<string, PushedProduct>();
    const path = this.logPath(connectionId);
    let logLines = 0;
    if (existsSync(path)) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (!line) continue;
        logLines += 1;
        const [code = '', hash = '', productCode = '', title = ''] = line.split('\t');
        if (hash === FORGOTTEN) products.delete(code);
        // A line cut short by a crash mid-write has no hash; the product is simply pushed again.
        else if (hash) products.set(code, { code, hash, productCode, title });
      }
    }
    return { products, logLines };
  }

  private compactIfLarge(connectionId: string): void {
    const state = this.state(connectionId);
    if (state.logLines < 1000 || state.logLines < 2 * state.products.size) return;
    const path = this.logPath(connectionId);
    const lines = [...state.products.values()].map((p) => [p.code, p.hash, p.productCode, p.title].map(clean).join('\t'));
    writeFileSync(`${path}.tmp`, lines.length ? `${lines.join('\n')}\n` : '', PRIVATE_FILE);
    renameSync(`${path}.tmp`, path);
    state.logLines = lines.length;
  }

  private connectionDir(connectionId: string) {
    return join(this.directory, safeName(connectionId));
  }

  private logPath(connectionId: string) {
    return join(this.connectionDir(connectionId), 'pushed.tsv');
  }

  private passPath(connectionId: string, passId: string) {
    return join(this.connectionDir(connectionId), `pass-${safeName(passId)}.seen`);
  }

  private endedPath(connectionId: string, passId: string) {
    return join(this.connectionDir(connectionId), `pass-${safeName(passId)}.ended`);
  }

  private problemDir(connectionId: string, kind: ProblemKind) {
    return join(this.connectionDir(connectionId), 'problems', kind);
  }
}

/** A problem file written since reasons were kept as engine words and sealed text (older files hold the reason in plain). */
const PROBLEM_FORMAT = 2;

type StoredProblem = Omit<Problem, 'firstSeen' | 'lastSeen'> & { format?: number; firstSeen: string; lastSeen: string };

/** Written whole: a temporary file (owner-only), renamed. */
function writeProblemFile(path: string, stored: StoredProblem): void {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temporary, JSON.stringify(stored), PRIVATE_FILE);
  renameSync(temporary, path);
}

/**
 * Problem files written before: their reason, which may quote the source, is replaced by the engine's
 * words (the reason is in the order's workflow, and the next pass records a product's again). Never fails.
 */
function scrubPlainReasons(directory: string): void {
  for (const connectionDir of listFiles(directory)) {
    for (const kind of ['product', 'order'] as const) {
      const problemsDir = join(directory, connectionDir, 'problems', kind);
      for (const file of listFiles(problemsDir)) {
        const path = join(problemsDir, file);
        const stored = readProblemFile(path);
        if (!stored || stored.format === PROBLEM_FORMAT) continue;
        try {
          writeProblemFile(path, { ...stored, format: PROBLEM_FORMAT, reason: problemWords(stored.connectionId, stored) });
        } catch {
          // tried again at the next start
        }
      }
    }
  }
}

/** A readable prefix of the code, and a hash of the whole code that keeps two codes apart. */
function problemFileName(code: string): string {
  return `${safeName(code).slice(0, 60)}~${createHash('sha256').update(code).digest('hex').slice(0, 16)}.json`;
}

/** The entries of a folder (temporary files left out); none when it does not exist. */
function listFiles(directory: string): string[] {
  try {
    return readdirSync(directory).filter((name) => !name.endsWith('.tmp'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

/** A problem file, or undefined when it is gone (closed meanwhile) or unreadable. */
function readProblemFile(path: string): StoredProblem | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as StoredProblem;
    return typeof parsed.code === 'string' && typeof parsed.firstSeen === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function clean(value: string): string {
  return value.replace(/[\t\n\r]/g, ' ');
}
