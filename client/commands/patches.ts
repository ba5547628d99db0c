/**
 * `patches` and `patches check <patchId>`: whether a patch of the workflow code can take its next
 * step (docs/versioning.md, "Step 3"), decided by replaying what is open against the code with that
 * step taken (client/patch-check.ts), never by how long ago it was deployed.
 */
import type { Command } from 'commander';
import { isDeprecated, patchesInWorkflows, type PatchInCode } from '../../worker/patch-sites';
import { checkPatch, type BlockingRun, type PatchStep, type PatchVerdict } from '../patch-check';
import { UsageError, type CliContext } from '../cli-context';

/** How many runs a verdict line names; `--json` has them all. */
const NAMED_RUNS = 10;

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

function describeRuns(runs: BlockingRun[]): string {
  const named = runs
    .slice(0, NAMED_RUNS)
    .map((run) => `${run.workflowId} (started ${run.startTime.slice(0, 10)}${run.open ? '' : ', closed'})`)
    .join(', ');
  return runs.length > NAMED_RUNS ? `${named} and ${runs.length - NAMED_RUNS} more` : named;
}

/** One line: the verdict, and the runs that stand in the way. */
export function renderVerdict(verdict: PatchVerdict): string {
  const { patchId, workflowType, step, openRuns, blocking, closed } = verdict;
  const subject = `${patchId} (${workflowType})`;
  const checked =
    closed.replayed === undefined ? plural(openRuns, 'open run') : `${plural(openRuns + closed.replayed, 'run')} (${openRuns} open, ${closed.replayed} closed)`;
  const done = step === 'deprecate' ? 'deprecated' : 'removed';
  if (verdict.ready) {
    const none = closed.replayed === undefined ? 'no open run' : 'no open or closed run';
    const all = openRuns + (closed.replayed ?? 0) === 1 ? `the ${checked} replays` : `the ${checked} all replay`;
    const replayed = openRuns + (closed.replayed ?? 0) === 0 ? none : `${all} with it ${done}`;
    return `${subject}: can be ${done}: ${replayed}`;
  }
  const needing = blocking.filter((run) => run.why === 'needs-patch');
  const broken = blocking.filter((run) => run.why === 'other-change');
  const what =
    step === 'deprecate' ? 'took the old branch' : `${needing.length === 1 ? 'needs' : 'need'} it (the old branch taken, or the marker \`patched\` recorded)`;
  const parts = [
    ...(needing.length > 0 ? [`${needing.length} of ${checked} ${what}: ${describeRuns(needing)}`] : []),
    ...(broken.length > 0
      ? [`${broken.length} ${broken.length === 1 ? 'does' : 'do'} not replay with this checkout's code at all (${broken[0]!.error}): ${describeRuns(broken)}`]
      : []),
  ];
  return `${subject}: not yet: ${parts.join('; ')}`;
}

/** What the verdict does not cover by replay: the closed runs, which a query (`order status`) replays. */
export function renderClosedNote(verdict: PatchVerdict): string {
  const { step, closed, workflowType } = verdict;
  const kept = `closed runs of ${workflowType} kept${closed.retentionDays === undefined ? '' : ` (${closed.retentionDays}-day retention)`}: ${closed.total}`;
  if (closed.replayed !== undefined) return `  ${kept}, replayed above`;
  const detail =
    step === 'deprecate'
      ? `${closed.total - closed.withMarker} without its marker: a query (e.g. \`order status\`) replays a closed run, and fails on one that took the old branch once the patch is deprecated`
      : `${closed.withMarker} with its marker: a query (e.g. \`order status\`) of one whose marker \`patched\` recorded fails once the patch is removed`;
  return `  ${kept}, ${detail}; --closed replays them too`;
}

function findPatch(patches: PatchInCode[], patchId: string): PatchInCode {
  const patch = patches.find((p) => p.id === patchId);
  if (!patch) throw new UsageError(`Unknown patch '${patchId}'. In the workflow code: ${patches.map((p) => p.id).join(', ') || 'none'}`);
  return patch;
}

function printVerdict(context: CliContext, verdict: PatchVerdict): void {
  context.out(renderVerdict(verdict));
  context.out(renderClosedNote(verdict));
}

const stepOf = (patch: PatchInCode, remove: boolean | undefined): PatchStep => (remove || isDeprecated(patch) ? 'remove' : 'deprecate');

export function registerPatchCommands(program: Command, context: CliContext): void {
  const patches = program
    .command('patches')
    .summary("the workflow code's patches: whether each can be deprecated (or removed) now, from the runs that are open")
    .description('`patches` lists every patch with its verdict; `patches check <patchId>` answers for one, with its exit code');
  patches
    .command('list', { isDefault: true })
    .summary('every patch with its workflow type and verdict (what `patches` alone does)')
    .description(
      "list every patch of the workflow code (patched('<id>') and deprecatePatch('<id>') in workflows/), with its workflow type and verdict: " +
        'each open run of that type is fetched and replayed against this checkout’s code with the patch deprecated (or, once deprecated, removed); ' +
        'a run that fails took the old branch and blocks it. Closed runs the namespace keeps are counted (a query replays them); --closed replays them too',
    )
    .option('--closed', 'replay the closed runs the namespace keeps too (one history fetch each)')
    .option('--json', 'print JSON (an array of verdicts), for scripts')
    .action(async (options: { closed?: boolean; json?: boolean }) => {
      const found = patchesInWorkflows();
      const client = await context.client();
      const verdicts: PatchVerdict[] = [];
      for (const patch of found) verdicts.push(...(await checkPatch(client, patch, { step: stepOf(patch, false), closed: options.closed })));
      if (options.json) context.out(JSON.stringify(verdicts, null, 2));
      else if (verdicts.length === 0) context.out('No patch in the workflow code');
      else for (const verdict of verdicts) printVerdict(context, verdict);
    });

  patches
    .command('check <patchId>')
    .summary('whether one patch can be deprecated now: exit 0, or 1 naming the runs in the way')
    .description(
      "say whether patched('<patchId>') can be replaced by deprecatePatch('<patchId>') now (exit 0) or not yet (exit 1, naming the runs in the way): " +
        'every open run of its workflow type replays against this checkout’s code with it deprecated, or not. For a patch the code already ' +
        'deprecates, or with --remove, whether the patch can go altogether (no open run needs its marker or its old branch)',
    )
    .option('--remove', 'check the removal of the patch (the deprecatePatch call, or patched with its old branch) instead of its deprecation')
    .option('--closed', 'replay the closed runs the namespace keeps too (one history fetch each); a closed run that fails blocks')
    .option('--json', 'print JSON (an array of verdicts, one per workflow type), for scripts')
    .action(async (patchId: string, options: { remove?: boolean; closed?: boolean; json?: boolean }) => {
      const patch = findPatch(patchesInWorkflows(), patchId);
      if (patch.workflowTypes.length === 0)
        throw new Error(`${patchId} is asked in ${patch.calls[0]!.file}, which no workflow type of workflows/index.ts imports`);
      const step = stepOf(patch, options.remove);
      const verdicts = await checkPatch(await context.client(), patch, { step, closed: options.closed });
      if (options.json) context.out(JSON.stringify(verdicts, null, 2));
      else for (const verdict of verdicts) printVerdict(context, verdict);
      if (verdicts.some((verdict) => !verdict.ready)) throw new Error(`${patchId} cannot be ${step === 'deprecate' ? 'deprecated' : 'removed'} yet`);
    });
}
