/**
 * What was last pushed to Stock2Shop for each product of a connection (a content hash), and which
 * products each pass over the catalog has seen, so that only changed products are pushed and a
 * product that left the source can be told apart.
 *
 * The embedded default keeps it in files under the data folder, one folder a connection: an
 * append-only log of `code<TAB>hash<TAB>productCode<TAB>title` lines (the last line of a code wins;
 * compacted when it grows to twice the live size) and one list of seen codes per pass. A worker
 * restart reloads it. Each connection's products are synced by one worker at a time (the workflow
 * runs one page at a time), so no two processes write the same folder. A deployment whose product
 * pages for one connection may run on several machines points this at a shared database instead,
 * behind the same interface.
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
  lastPushedHash(connectionId: string, code: string): string | undefined;
  recordPushed(connectionId: string, products: PushedProduct[]): void;
  forget(connectionId: string, codes: string[]): void;
  markSeen(connectionId: string, passId: string, codes: string[]): void;
  /** Products pushed before and not seen during the pass. */
  unseenInPass(connectionId: string, passId: string): PushedProduct[];
  endPass(connectionId: string, passId: string): void;
}

const FORGOTTEN = '-';
const safeName = (value: string) => value.replace(/[^A-Za-z0-9_.-]/g, '_');

export class FileProductStateStore implements ProductStateStore {
  private readonly loaded = new Map<string, { products: Map<string, PushedProduct>; logLines: number }>();

  constructor(private readonly directory: string) {}

  lastPushedHash(connectionId: string, code: string): string | undefined {
    return this.state(connectionId).products.get(code)?.hash;
  }

  recordPushed(connectionId: string, products: PushedProduct[]): void {
    if (products.length === 0) return;
    const state = this.state(connectionId);
    const lines = products.map((p) => [p.code, p.hash, p.productCode, p.title].map(clean).join('\t'));
    appendFileSync(this.logPath(connectionId), `${lines.join('\n')}\n`);
    for (const product of products) state.products.set(product.code, product);
    state.logLines += products.length;
    this.compactIfLarge(connectionId);
  }

  forget(connectionId: string, codes: string[]): void {
    if (codes.length === 0) return;
    const state = this.state(connectionId);
    appendFileSync(this.logPath(connectionId), `${codes.map((c) => `${clean(c)}\t${FORGOTTEN}`).join('\n')}\n`);
    for (const code of codes) state.products.delete(code);
    state.logLines += codes.length;
  }

  markSeen(connectionId: string, passId: string, codes: string[]): void {
    if (codes.length === 0) return;
    this.state(connectionId);
    appendFileSync(this.passPath(connectionId, passId), `${codes.map(clean).join('\n')}\n`);
  }

  unseenInPass(connectionId: string, passId: string): PushedProduct[] {
    const path = this.passPath(connectionId, passId);
    const seen = new Set(existsSync(path) ? readFileSync(path, 'utf8').split('\n') : []);
    return [...this.state(connectionId).products.values()].filter((p) => !seen.has(p.code));
  }

  endPass(connectionId: string, passId: string): void {
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
