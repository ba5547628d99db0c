/** `status` and `problems`: where each connection stands, and the open problems. */
import type { Command } from 'commander';
import { gatherStatus, renderProblemLines, renderStatusDetail, renderStatusLines } from '../status';
import { findConnection, problemLedger, type CliContext } from '../cli-context';
import { ordersNeedingAPersonQuery } from './orders';
import { lastCheckLines } from './connections-check';
import type { Problem, ProblemLedger } from '../../store/product-state';
import { openProblem, type TextSealer } from '../../store/sealed-problems';
import { keyRingsFromEnvironment } from '../../temporal/data-converter';
import { EncryptionCodec, encryptionCodecOf } from '../../temporal/payload-codec';

/**
 * The ledger with each reason whole, opened with the CLI's keys: its environment's (as its Temporal
 * client takes them), else those of its client (a context given one). A reason it cannot open shows
 * the engine's words, saying the rest is sealed.
 */
function openingLedger(context: CliContext): ProblemLedger {
  const ledger = problemLedger(context);
  return {
    recordProblems: (connectionId, problems) => ledger.recordProblems(connectionId, problems),
    closeProblems: (connectionId, kind, codes) => ledger.closeProblems(connectionId, kind, codes),
    closeProductProblemsUnseenInPass: (connectionId, passId) => ledger.closeProductProblemsUnseenInPass(connectionId, passId),
    openProblems: async (connectionId) => openAll(await ledger.openProblems(connectionId), context),
  };
}

async function openAll(problems: Problem[], context: CliContext): Promise<Problem[]> {
  const sealers: TextSealer[] = [];
  try {
    sealers.push(new EncryptionCodec(keyRingsFromEnvironment()));
  } catch {
    // no key in the environment
  }
  let opened = problems.map((problem) => openProblem(problem, sealers));
  if (opened.some((problem) => problem.sealedReason !== undefined)) {
    const client = await context.client().catch(() => undefined);
    const own = encryptionCodecOf(client?.options.loadedDataConverter.payloadCodecs);
    if (own) opened = problems.map((problem) => openProblem(problem, [...sealers, own]));
  }
  return opened;
}

export function registerStatus(program: Command, context: CliContext): void {
  program
    .command('status [connectionId]')
    .summary('where each connection stands: health, last sync, next run, orders needing a person, open problems')
    .description(
      'one line per configured connection: its health (healthy, degraded, source offline since …, paused, failing), its last sync ' +
        '(when it closed; read, pushed, invalid, removed), its next scheduled run, the orders needing a person and the open product problems. ' +
        'With a connection id: that connection in detail, with its open problems and orders. Read from Temporal (visibility, the schedule) ' +
        'and the product state store; never from a source or Stock2Shop',
    )
    .option('--json', 'print JSON (an array, one object per connection), for scripts')
    .action(async (connectionId: string | undefined, options: { json?: boolean }) => {
      const connections = connectionId === undefined ? context.connections() : [findConnection(context, connectionId)];
      if (connections.length === 0 && !options.json) {
        context.out('No connection is configured');
        return;
      }
      const statuses = await gatherStatus(await context.client(), connections, openingLedger(context), {
        detail: connectionId !== undefined,
        ordersQuery: ordersNeedingAPersonQuery,
      });
      if (options.json) context.out(JSON.stringify(statuses, null, 2));
      else if (connectionId !== undefined) for (const line of renderStatusDetail(statuses[0]!, { color: context.color })) context.out(line);
      else for (const line of renderStatusLines(statuses, { color: context.color })) context.out(line);
      if (!options.json) for (const line of lastCheckLines(context, connections)) context.out(line);
    });
}

export function registerProblems(program: Command, context: CliContext): void {
  program
    .command('problems [connectionId]')
    .summary('list the open problems: product records rejected or refused, orders needing a person')
    .description(
      'list the open problems, one a line: connection, kind (product, order), code, field, reason, first and last seen. A product ' +
        'problem closes by itself when its record next syncs clean, an order problem when the order is raised',
    )
    .option('--json', 'print JSON (an array of problems), for scripts')
    .action(async (connectionId: string | undefined, options: { json?: boolean }) => {
      const scope = connectionId === undefined ? undefined : findConnection(context, connectionId).id;
      const problems = await openingLedger(context).openProblems(scope);
      if (options.json) context.out(JSON.stringify(problems, null, 2));
      else if (problems.length === 0) context.out(scope ? `No open problem for ${scope}` : 'No open problem');
      else for (const line of renderProblemLines(problems, { color: context.color })) context.out(line);
    });
}
