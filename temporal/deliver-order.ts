/**
 * Delivers an order to its `raiseOrder` workflow, from the webhook, the poll or the CLI.
 *
 * Signal-with-start on `raise-order/<connectionId>/<channel_order_code>`: a first delivery starts the
 * workflow, any later one while it runs is a signal to the same run, never a second order. A delivery
 * carries no personal data: the channel and, when the caller read the order, its content hash; the
 * workflow reads the order itself from Stock2Shop, whoever delivers it (`order submit` included).
 *
 * An order's id is never started again once its run closed as raised or cancelled (REJECT_DUPLICATE,
 * for as long as the namespace retains that run); one that closed as failed (not raised in 30 days)
 * starts again. A delivery to a closed run starts its review (workflows/reviewLateDelivery.ts): a
 * change after the raise is reported, a run terminated in Temporal ends as cancelled in Stock2Shop.
 * After retention, what Stock2Shop shows (the source order code, a cancel) and the source lookup
 * before every create keep an order from being raised twice or raised after a cancel.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowIdReusePolicy } from '@temporalio/client';
import { CENTRAL_TASK_QUEUE, escapeOrderCode, lateDeliveryWorkflowId, raiseOrderWorkflowId, type Connection } from '../domain';
import { orderDeliveredSignal, type OrderDelivery, type OrderStatus } from '../contracts/workflows';
import type { RaiseOrderInput } from '../contracts/workflows';
import type { LateDeliveryInput } from '../contracts/activities';
import { ChannelOrderCodeKey, ConnectionIdKey, SourceKindKey } from '../contracts/search-attributes';
import { connectionPriority } from './priority';

/**
 * delivered: to a running order, or one started now; already_raised (a late delivery is reviewed),
 * cancelled, skipped (handled outside the engine, `order skip`): its run closed so, never raised again.
 */
export type DeliveryOutcome = 'delivered' | 'already_raised' | 'cancelled' | 'skipped';

export async function deliverOrder(
  client: Client,
  connection: Pick<Connection, 'id' | 'sourceKind'>,
  channelOrderCode: string,
  delivery: OrderDelivery,
): Promise<DeliveryOutcome> {
  const workflowId = raiseOrderWorkflowId(connection.id, channelOrderCode);
  // What is indexed and shown holds no control or bidi character; the workflow is given Stock2Shop's code.
  const shownCode = escapeOrderCode(channelOrderCode);
  const input: RaiseOrderInput = { connectionId: connection.id, channelOrderCode };
  const signalWithStart = (workflowIdReusePolicy: WorkflowIdReusePolicy) =>
    client.workflow.signalWithStart('raiseOrder', {
      workflowId,
      taskQueue: CENTRAL_TASK_QUEUE,
      args: [input],
      signal: orderDeliveredSignal,
      signalArgs: [delivery],
      workflowIdReusePolicy,
      typedSearchAttributes: [
        { key: ConnectionIdKey, value: connection.id },
        { key: SourceKindKey, value: connection.sourceKind },
        { key: ChannelOrderCodeKey, value: shownCode },
      ],
      staticSummary: `Order ${shownCode} → ${connection.sourceKind} (${connection.id})`,
      priority: connectionPriority(connection.id),
    });
  // Twice at most: a closed run that failed starts again, once.
  for (const policy of ['REJECT_DUPLICATE', 'ALLOW_DUPLICATE_FAILED_ONLY'] as const) {
    try {
      await signalWithStart(policy);
      return 'delivered';
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    const closed = await closedRunOf(client, workflowId);
    if (closed === 'failed') continue;
    if (closed === 'cancelled' || closed === 'skipped') return closed;
    await reviewLateDelivery(client, { connectionId: connection.id, channelOrderCode });
    return closed === 'terminated' ? 'cancelled' : 'already_raised';
  }
  return 'delivered';
}

type ClosedRun = 'raised' | 'cancelled' | 'skipped' | 'terminated' | 'failed';

/** How the order's last run closed (a strongly consistent describe, and its result when it completed). */
async function closedRunOf(client: Client, workflowId: string): Promise<ClosedRun> {
  const handle = client.workflow.getHandle(workflowId);
  let statusName: string;
  try {
    statusName = (await handle.describe()).status.name;
  } catch (error) {
    // Gone past retention between the start and the describe: start it again.
    if (error instanceof WorkflowNotFoundError) return 'failed';
    throw error;
  }
  if (statusName === 'CANCELED' || statusName === 'CANCELLED') return 'cancelled';
  if (statusName === 'TERMINATED') return 'terminated';
  if (statusName !== 'COMPLETED') return 'failed';
  const result = (await handle.result()) as OrderStatus;
  return result.state === 'cancelled' ? 'cancelled' : result.state === 'skipped' ? 'skipped' : 'raised';
}

/** Starts the review of a delivery to a closed order, or joins the one under way. */
async function reviewLateDelivery(client: Client, input: LateDeliveryInput): Promise<void> {
  await client.workflow.start('reviewLateDelivery', {
    workflowId: lateDeliveryWorkflowId(input.connectionId, input.channelOrderCode),
    taskQueue: CENTRAL_TASK_QUEUE,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [
      { key: ConnectionIdKey, value: input.connectionId },
      { key: ChannelOrderCodeKey, value: escapeOrderCode(input.channelOrderCode) },
    ],
    staticSummary: `Order ${escapeOrderCode(input.channelOrderCode)} delivered after its workflow closed`,
    priority: connectionPriority(input.connectionId),
  });
}
