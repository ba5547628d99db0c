/** `sync run`, `sync watch`, `sync history`, `sync push`, `sync pause|resume|trigger`: product syncs. */
import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { CENTRAL_TASK_QUEUE, manualProductSyncWorkflowId, productSyncScheduleId } from '../../domain';
import { progressQuery } from '../../contracts/workflows';
import { connectionPriority } from '../../temporal/priority';
import { renderProgress } from '../progress';
import { findConnection, UsageError, type CliContext } from '../cli-context';
import { registerSyncHistory } from './sync-history';
import { registerSyncPush } from './sync-push';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function registerSync(program: Command, context: CliContext): void {
  const sync = program.command('sync').description('product syncs (source → Stock2Shop): run, watch, history, push, pause, resume, trigger');
  registerSyncRun(sync, context);
  registerSyncWatch(sync, context);
  registerSyncHistory(sync, context);
  registerSyncPush(sync, context);
  registerScheduleControls(sync, context);
}

function registerSyncRun(sync: Command, context: CliContext): void {
  sync
    .command('run <connectionId>')
    .description('start a product sync now')
    .option('--full', 'push every product, changed or not')
    .option('--wait', 'wait for it and print the summary')
    .action(async (connectionId: string, options: { full?: boolean; wait?: boolean }) => {
      const connection = findConnection(context, connectionId);
      const client = await context.client();
      const workflowId = manualProductSyncWorkflowId(connection.id);
      const handle = await client.workflow
        .start('productSync', {
          taskQueue: CENTRAL_TASK_QUEUE,
          workflowId,
          args: [{ connectionId: connection.id, full: options.full ?? false }],
          priority: connectionPriority(connection.id),
        })
        .catch((error: Error) => {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          throw new UsageError(`A manual pass of ${connection.id} is running already (${workflowId}); \`sync watch ${connection.id}\` follows it`);
        });
      context.out(`Started ${handle.workflowId}`);
      if (options.wait) context.out((await handle.result()).summary);
    });
}

function registerSyncWatch(sync: Command, context: CliContext): void {
  sync
    .command('watch <connectionId>')
    .description("show the progress of the connection's latest sync until it ends")
    .option('--interval <ms>', 'how often to ask', '500')
    .action(async (connectionId: string, options: { interval: string }) => {
      findConnection(context, connectionId);
      const client = await context.client();
      const workflowId = await latestSyncOf(client, connectionId);
      if (!workflowId) throw new UsageError(`No product sync of '${connectionId}' has run yet`);
      const handle = client.workflow.getHandle(workflowId);
      for (;;) {
        const { status } = await handle.describe();
        if (status.name !== 'RUNNING') {
          const result = status.name === 'COMPLETED' ? ((await handle.result()) as { summary: string }).summary : status.name;
          context.out(`${workflowId}: ${result}`);
          return;
        }
        context.out(renderProgress(await handle.query(progressQuery)));
        await sleep(Number(options.interval));
      }
    });
}

function registerScheduleControls(sync: Command, context: CliContext): void {
  for (const [name, verb] of [
    ['pause', 'pause'],
    ['resume', 'unpause'],
    ['trigger', 'trigger'],
  ] as const) {
    sync
      .command(`${name} <connectionId>`)
      .description(`${name} the connection's product sync schedule`)
      .action(async (connectionId: string) => {
        findConnection(context, connectionId);
        const handle = (await context.client()).schedule.getHandle(productSyncScheduleId(connectionId));
        await (verb === 'trigger' ? handle.trigger() : handle[verb](`${name} from the CLI`));
        context.out(`${productSyncScheduleId(connectionId)}: ${name === 'trigger' ? 'triggered' : `${name}d`}`);
      });
  }
}

async function latestSyncOf(client: Client, connectionId: string): Promise<string | undefined> {
  // The dev server's SQLite visibility store does not sort, so pick the newest here.
  let latest: { workflowId: string; startTime: Date } | undefined;
  for await (const execution of client.workflow.list({ query: `WorkflowType = 'productSync' AND ConnectionId = '${connectionId}'` })) {
    if (!latest || execution.startTime > latest.startTime) latest = { workflowId: execution.workflowId, startTime: execution.startTime };
  }
  return latest?.workflowId;
}
