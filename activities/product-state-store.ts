/**
 * What was last pushed to Stock2Shop for each product of a connection (a content hash), and which
 * products each pass over the catalog has seen, so that only changed products are pushed and a
 * product that left the source can be told apart.
 *
 * Every method is asynchronous and reads or writes a whole page's codes at once, so a store may live
 * in a database shared by several workers (`PostgresProductStateStore`, chosen by DATABASE_URL).
 *
 * The embedded default keeps it in files under the data folder, one folder a connection: an
 * append-only log of `code<TAB>hash<TAB>productCode<TAB>title` lines (the last line of a code wins;
 * compacted when it grows to twice the live size) and one list of seen codes per pass. A worker
 * restart reloads it; in between, the process keeps it in memory and never reads it again, so
 * exactly one process may serve a connection's product pages: one central worker for iSync
 * connections, one agent (held to that by its lease, `worker/agent-lease.ts`) for an Omni connection.
 * Several central workers need the shared store (the worker refuses to start otherwise, see
 * `worker/runtime.ts`).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PushedProduct {
  /** The variant code: one Stock2Shop queue item per variant. */
  code: string;
  hash: string;
  productCode: string;
  title: string;
}

export interface ProductStateStore {
  /** The last pushed content hash of each of `codes` that has one (codes never pushed, or forgotten, are absent). */
  lastPushedHashes(connectionId: string, codes: string[]): Promise<Map<string, string>>;
  recordPushed(connectionId: string, products: PushedProduct[]): Promise<void>;
  forget(connectionId: string, codes: string[]): Promise<void>;
  markSeen(connectionId: string, passId: string, codes: string[]): Promise<void>;
  /** Products pushed before and not seen during the pass, by code. */
  unseenInPass(connectionId: string, passId: string): Promise<PushedProduct[]>;
  /** Forgets the pass's seen codes. */
  endPass(connectionId: string, passId: string): Promise<void>;
}

const FORGOTTEN = '-';
const safeName = (value: string) => value.replace(/[^A-Za-z0-9_.-]/g, '_');

export class FileProductStateStore implements ProductStateStore {
  private readonly loaded = new Map<string, { products: Map<string, PushedProduct>; logLines: number }>();

  constructor(private readonly directory: string) {}

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
    appendFileSync(this.logPath(connectionId), `${lines.join('\n')}\n`);
    for (const product of products) state.products.set(product.code, product);
    state.logLines += products.length;
    this.compactIfLarge(connectionId);
  }

  async forget(connectionId: string, codes: string[]): Promise<void> {
    if (codes.length === 0) return;
    const state = this.state(connectionId);
    appendFileSync(this.logPath(connectionId), `${codes.map((c) => `${clean(c)}\t${FORGOTTEN}`).join('\n')}\n`);
    for (const code of codes) state.products.delete(code);
    state.logLines += codes.length;
  }

  async markSeen(connectionId: string, passId: string, codes: string[]): Promise<void> {
    if (codes.length === 0) return;
    this.state(connectionId);
    appendFileSync(this.passPath(connectionId, passId), `${codes.map(clean).join('\n')}\n`);
  }

  async unseenInPass(connectionId: string, passId: string): Promise<PushedProduct[]> {
    const path = this.passPath(connectionId, passId);
    const seen = new Set(existsSync(path) ? readFileSync(path, 'utf8').split('\n') : []);
    return [...this.state(connectionId).products.values()]
      .filter((p) => !seen.has(clean(p.code)))
      .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  }

  async endPass(connectionId: string, passId: string): Promise<void> {
    rmSync(this.passPath(connectionId, passId), { force: true });
  }

  private state(connectionId: string) {
    let state = this.loaded.get(connectionId);
    if (!state) {
      mkdirSync(this.connectionDir(connectionId), { recursive: true });
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
    writeFileSync(`${path}.tmp`, lines.length ? `${lines.join('\n')}\n` : '');
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
}

function clean(value: string): string {
  return value.replace(/[\t\n\r]/g, ' ');
}
