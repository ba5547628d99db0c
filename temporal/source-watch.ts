/**
 * Puts a workflow on the waiting list of its connection's source watch (`source-watch/<connectionId>`)
 * with signal-with-start: the first order to find a source down starts the watch, the others join it.
 */
import type { Client } from '@temporalio/client';
import { CENTRAL_TASK_QUEUE, sourceWatchWorkflowId } from '../domain';
import type { SourceWaiter } from '../contracts/activities';
import { registerWaiterSignal } from '../contracts/workflows';
import type { WatchSourceInput } from '../contracts/workflows';
import { ConnectionIdKey } from '../contracts/search-attributes';
import { connectionPriority } from './priority';

export async function watchSourceFor(client: Client, waiter: SourceWaiter): Promise<void> {
  const input: WatchSourceInput = { connectionId: waiter.connectionId, waiters: [] };
  await client.workflow.signalWithStart('watchSource', {
    workflowId: sourceWatchWorkflowId(waiter.connectionId),
    taskQueue: CENTRAL_TASK_QUEUE,
    args: [input],
    signal: registerWaiterSignal,
    signalArgs: [{ workflowId: waiter.workflowId, ...(waiter.futileWakes ? { futileWakes: waiter.futileWakes } : {}) }],
    typedSearchAttributes: [{ key: ConnectionIdKey, value: waiter.connectionId }],
    staticSummary: `Waiting for the source of ${waiter.connectionId} to answer`,
    priority: connectionPriority(waiter.connectionId),
  });
}
