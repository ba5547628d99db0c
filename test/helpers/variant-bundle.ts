/**
 * Variants of this checkout's workflow code for tests (worker/workflow-variants.ts builds them): the
 * next release as "version B", or the code before a change.
 */
import type { SourceEdit } from '../../worker/workflow-variants';

export { variantWorkflowBundle, type SourceEdit } from '../../worker/workflow-variants';

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
