/** What the order commands share: an order code as typed, an order's status, and how an order is shown. */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { escapeOrderCode, escapeUnsafeCharacters, raiseOrderWorkflowId, unescapeOrderCode } from '../../domain';
import { statusQuery, type OrderStatus } from '../../contracts/workflows';
import { OrderStateKey } from '../../contracts/search-attributes';
import { UsageError } from '../cli-context';

/** Text for the terminal: no control, bidi or invisible character of a code or reason reaches it raw. */
export const shown = escapeUnsafeCharacters;

/** An order code as typed: Stock2Shop's own, or as the engine shows it (`WEB-\u202E1001`, copied from a reason or a workflow id). */
export function codeArgument(typed: string): string {
  return unescapeOrderCode(typed.trim());
}

export async function orderStatus(client: Client, connectionId: string, code: string): Promise<OrderStatus> {
  try {
    return await client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code)).query(statusQuery);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new UsageError(`No order ${escapeOrderCode(code)} has been delivered to ${connectionId}`);
    throw error;
  }
}

/** An Update the order's workflow refused: its validator's reason, as a usage problem (exit 2). */
export function refusedUpdate(error: unknown): unknown {
  return error instanceof WorkflowUpdateFailedError ? new UsageError(shown(error.cause?.message ?? error.message)) : error;
}

/**
 * The orders that need a person, as one visibility query: open orders whose `OrderState` search
 * attribute says they wait for a fix, and orders closed as failed. An open order started before
 * raiseOrder kept `OrderState` has none until its next state change.
 */
export function ordersNeedingAPersonQuery(connectionId?: string): string {
  const scope = connectionId === undefined ? '' : ` AND ConnectionId = '${connectionId}'`;
  return (
    `WorkflowType = 'raiseOrder' AND ((ExecutionStatus = 'Running' AND ${OrderStateKey.name} IN ('needs_attention', 'failed')) ` +
    `OR ExecutionStatus = 'Failed')${scope}`
  );
}

/** Of those, the orders still waiting for a fix: what `order retry --all` and `order skip --all` act on. */
export function ordersWaitingForAFixQuery(connectionId?: string): string {
  const scope = connectionId === undefined ? '' : ` AND ConnectionId = '${connectionId}'`;
  return `WorkflowType = 'raiseOrder' AND ExecutionStatus = 'Running' AND ${OrderStateKey.name} IN ('needs_attention', 'failed')${scope}`;
}

export function describeOrder(status: OrderStatus): string {
  const deliveries = Object.values(status.deliveries).reduce((a, b) => a + b, 0);
  const line = `${status.connectionId}/${escapeOrderCode(status.channelOrderCode)}: ${status.state.replace('_', ' ')}${detailOf(status)} (attempts ${status.attempts}, deliveries ${deliveries})`;
  return shown(line);
}

function detailOf(status: OrderStatus): string {
  if (status.state === 'raised') {
    return (
      ` as ${status.sourceOrderCode}${status.alreadyExisted ? ' (found already in the source)' : ''}${status.writeBackPending ? ', write-back to Stock2Shop pending' : ''}` +
      (status.notApplied ? `; ${status.notApplied.join('; ')}` : '')
    );
  }
  if (status.state === 'cancelled' && status.cancelled) return ` by ${status.cancelled.by} (${status.cancelled.reason}); never raised`;
  if (status.state === 'skipped' && status.skipped) return ` by ${status.skipped.by} (${status.skipped.reason}); handled outside the engine, never raised`;
  return status.reason ? `: ${status.reason}` : '';
}
