/**
 * The documents a source simulator creates (Omni's sales orders, iSync's orders), kept in one JSON
 * file under a data directory, as the Stock2Shop simulator keeps its orders: rewritten atomically on
 * every change, read back at start, so a restart on the same directory holds the same documents and
 * the next document number continues. Without a directory (from code), nothing is written.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf } from './server';

/** A document as kept: the document, and when it commits (ms since the epoch; see `commitDelayMs`). */
export interface KeptDocument<D> {
  document: D;
  visibleAt: number;
}

export interface DocumentFileContent<D> {
  /** The next generated document number (Omni); absent where numbers follow the count (iSync). */
  nextNumber?: number;
  documents: KeptDocument<D>[];
}

export class DocumentFile<D> {
  readonly path: string | null;

  constructor(dataDir: string | null | undefined, fileName: string) {
    this.path = dataDir ? join(dataDir, fileName) : null;
    if (dataDir) mkdirSync(dataDir, { recursive: true });
  }

  /** What an earlier run kept: nothing without a directory or a file. Throws, naming the file, when it is not one of these files. */
  read(): DocumentFileContent<D> {
    if (this.path === null || !existsSync(this.path)) return { documents: [] };
    let content: unknown;
    try {
      content = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (error) {
      throw new Error(`${this.path} cannot be read (${messageOf(error)}); move it away to start with no documents`);
    }
    const documents = (content as { documents?: unknown } | null)?.documents;
    if (!Array.isArray(documents)) throw new Error(`${this.path} holds no "documents" list; move it away to start with no documents`);
    const nextNumber = (content as { nextNumber?: unknown }).nextNumber;
    return { documents: documents as KeptDocument<D>[], ...(typeof nextNumber === 'number' ? { nextNumber } : {}) };
  }

  /** Writes every document (aside, then renamed: a crash mid-write never leaves a torn file). */
  write(content: DocumentFileContent<D>): void {
    if (this.path === null) return;
    writeFileSync(`${this.path}.tmp`, JSON.stringify(content, null, 2));
    renameSync(`${this.path}.tmp`, this.path);
  }
}
