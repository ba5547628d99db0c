/**
 * A variant of this checkout's workflow code: the files the workflow bundle contains, copied with
 * their layout under `.cache/workflow-variants/` and edited, then bundled the way the central worker
 * bundles its own. `patches check` replays open runs against one (the code with a patch deprecated);
 * tests deploy one as "version B", or as the code before a change.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { bundleSourceFiles, CACHE_KEEP_MS, cachedWorkflowBundle, pruneOlderThan, type WorkflowBundle } from './workflow-bundle';
import { failureConverterPath } from '../temporal/data-converter';

const projectRoot = resolve(__dirname, '..');
const variantsDir = join(projectRoot, '.cache', 'workflow-variants');

export interface SourceEdit {
  /** A path from the project root, e.g. `workflows/raiseOrder.ts`. */
  file: string;
  /** Text that must occur exactly once in the file (with `everyOccurrence`, at least once). */
  find: string;
  replace: string;
  /** Replace each occurrence instead of the only one. */
  everyOccurrence?: boolean;
}

export interface VariantOptions {
  /** Bundle `workflows/versioned.ts` (a worker with Worker Versioning) instead of `workflows/index.ts`. */
  versioned?: boolean;
}

/** `text` with the edit applied; throws, naming the variant and the file, when its text is not there as it says. */
function applyEdit(variant: string, text: string, edit: SourceEdit): string {
  const occurrences = text.split(edit.find).length - 1;
  const expected = edit.everyOccurrence ? occurrences >= 1 : occurrences === 1;
  if (!expected) {
    throw new Error(
      `variant ${variant}: '${edit.find.slice(0, 60)}' occurs ${occurrences} times in ${edit.file}, not ${edit.everyOccurrence ? 'at least once' : 'once'}`,
    );
  }
  return text.split(edit.find).join(edit.replace);
}

export async function variantWorkflowBundle(name: string, edits: SourceEdit[], { versioned = false }: VariantOptions = {}): Promise<WorkflowBundle> {
  // Named by its sources and edits, written whole, then renamed: processes building the same variant at once share it safely.
  const sources = bundleSourceFiles([require.resolve('../workflows/versioned')]);
  const hash = createHash('sha256').update(JSON.stringify(edits));
  for (const file of sources) hash.update(file).update(readFileSync(file));
  const root = join(variantsDir, `${name}-${hash.digest('hex').slice(0, 10)}`);
  if (existsSync(root)) {
    const now = new Date();
    utimesSync(root, now, now); // in use: not pruned as old
  } else {
    const staging = `${root}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    for (const file of sources) {
      const target = join(staging, relative(projectRoot, file));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(file, target);
    }
    for (const edit of edits) {
      const path = join(staging, edit.file);
      writeFileSync(path, applyEdit(name, readFileSync(path, 'utf8'), edit));
    }
    try {
      renameSync(staging, root);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process wrote the same variant first
    }
    pruneOlderThan(variantsDir, CACHE_KEEP_MS);
  }
  return cachedWorkflowBundle(join(root, 'workflows', versioned ? 'versioned.ts' : 'index.ts'), failureConverterPath);
}
