/**
 * A variant of this checkout's workflow code, as the next release of it would be: the files the
 * workflow bundle contains, copied with their layout under test-output/ and edited, then bundled the
 * way the central worker bundles its own. Tests deploy it as "version B", or replay history with it.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { bundleSourceFiles, cachedWorkflowBundle, type WorkflowBundle } from '../../worker/workflow-bundle';
import { testDataConverter } from './temporal';

const projectRoot = resolve(__dirname, '..', '..');

export interface SourceEdit {
  /** A path from the project root, e.g. `workflows/raiseOrder.ts`. */
  file: string;
  /** Text that must occur exactly once in the file. */
  find: string;
  replace: string;
}

export async function variantWorkflowBundle(name: string, edits: SourceEdit[], { versioned = false }: { versioned?: boolean } = {}): Promise<WorkflowBundle> {
  // Named by its sources and edits, written whole, then renamed: test files running at once share it safely.
  const sources = bundleSourceFiles([require.resolve('../../workflows/versioned')]);
  const hash = createHash('sha256').update(JSON.stringify(edits));
  for (const file of sources) hash.update(file).update(readFileSync(file));
  const root = join(projectRoot, 'test-output', 'workflow-variants', `${name}-${hash.digest('hex').slice(0, 10)}`);
  if (!existsSync(root)) {
    const staging = `${root}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    for (const file of sources) {
      const target = join(staging, relative(projectRoot, file));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(file, target);
    }
    for (const edit of edits) {
      const path = join(staging, edit.file);
      const text = readFileSync(path, 'utf8');
      const occurrences = text.split(edit.find).length - 1;
      if (occurrences !== 1) throw new Error(`variant ${name}: '${edit.find.slice(0, 60)}' occurs ${occurrences} times in ${edit.file}, not once`);
      writeFileSync(path, text.replace(edit.find, edit.replace));
    }
    try {
      renameSync(staging, root);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another test file wrote the same variant first
    }
  }
  return cachedWorkflowBundle(join(root, 'workflows', versioned ? 'versioned.ts' : 'index.ts'), testDataConverter.failureConverterPath);
}

/**
 * The worked example of docs/versioning.md: re-read the order right before raising it, so an order
 * corrected in Stock2Shop while its source was down is raised as corrected. It adds a `prepareOrder`
 * before `raiseInSource`, a change to raiseOrder's command sequence.
 */
export function rereadBeforeRaise({ guarded }: { guarded: boolean }): SourceEdit[] {
  const reread = [
    '      let ready = prepared as ReadyOrder;',
    `      ${guarded ? "if (patched('reread-before-raise')) " : ''}{`,
    '        const fresh = await this.prepare();',
    "        if (fresh.outcome === 'ready') ready = fresh;",
    '      }',
    '      const raised = await this.raiseWhenReachable(ready);',
  ].join('\n');
  return [
    { file: 'workflows/raiseOrder.ts', find: '      const raised = await this.raiseWhenReachable(prepared as ReadyOrder);', replace: reread },
    ...(guarded ? [{ file: 'workflows/raiseOrder.ts', find: '  log,\n', replace: '  log,\n  patched,\n' }] : []),
  ];
}
